import Dispatch
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Our HTTP/1.1 server: a listening socket, an accept source, and one `HTTPConnection` per client.
///
/// Accepting runs on `acceptQueue`; each connection has its own serial queue. Past `maxConnections` the accept
/// source is suspended, so further clients wait in the kernel's listen backlog instead of being dropped.
package final class HTTPServer: @unchecked Sendable {
    // @unchecked Sendable: `listener`, `acceptSource` and `isAcceptSuspended` are confined to `acceptQueue`;
    // the connection registry is behind `registry`'s lock; everything else is immutable.
    package let configuration: HTTPServerConfiguration
    package let handler: any HTTPHandler
    package let logger: Logger
    package let budget: InflightBudget
    /// Figures for metrics; readers hold this instead of the server (see `Statistics`).
    package let statistics: Statistics
    private let acceptQueue = DispatchQueue(label: "tensor-service.accept")
    private var listener: ListeningSocket?
    private var acceptSource: (any DispatchSourceRead)?
    private var isAcceptSuspended = false
    private let registry = Locked(Registry())
    private let openConnections = DispatchGroup()

    private struct Registry {
        var connections: [ObjectIdentifier: HTTPConnection] = [:]
        var isDraining = false
    }

    /// Live figures the service reports as metrics, readable from any thread.
    ///
    /// A separate object so that the application can keep it without referring back to the server, which owns the
    /// application: a weak reference would give the server a side table, and every retain of it (several per
    /// request) would take the runtime's slow path.
    package final class Statistics: Sendable {
        package let budget: InflightBudget
        private let sent = Atomic<Int>(0)
        private let received = Atomic<Int>(0)
        private let connections = Atomic<Int>(0)

        init(budget: InflightBudget) { self.budget = budget }

        /// Bytes written to and read from sockets (after TLS, before gzip).
        package var sentBytes: Int { sent.load(ordering: .relaxed) }
        package var receivedBytes: Int { received.load(ordering: .relaxed) }
        package var openConnectionCount: Int { connections.load(ordering: .relaxed) }

        func recordSent(_ bytes: Int) { sent.add(bytes, ordering: .relaxed) }
        func recordReceived(_ bytes: Int) { received.add(bytes, ordering: .relaxed) }
        func connectionOpened() { connections.add(1, ordering: .relaxed) }
        func connectionClosed() { connections.subtract(1, ordering: .relaxed) }
    }

    package init(configuration: HTTPServerConfiguration, handler: any HTTPHandler, logger: Logger) {
        self.configuration = configuration
        self.handler = handler
        self.logger = logger
        self.budget = InflightBudget(limit: configuration.maxInflightBytes)
        self.statistics = Statistics(budget: budget)
    }

    /// Binds and starts accepting; returns the bound port (the kernel's pick when the configuration says 0).
    package func start() throws(SystemError) -> Int {
        signal(SIGPIPE, SIG_IGN)
        let socket = try ListeningSocket.bind(host: configuration.host, port: configuration.port)
        acceptQueue.sync {
            listener = socket
            let source = DispatchSource.makeReadSource(fileDescriptor: socket.descriptor, queue: acceptQueue)
            source.setEventHandler { [unowned self] in acceptPending() }
            source.setCancelHandler { socket.close() }
            acceptSource = source
            source.resume()
        }
        return socket.port
    }

    package var openConnectionCount: Int { statistics.openConnectionCount }
    func recordSent(_ bytes: Int) { statistics.recordSent(bytes) }
    func recordReceived(_ bytes: Int) { statistics.recordReceived(bytes) }

    private func acceptPending() {
        dispatchPrecondition(condition: .onQueue(acceptQueue))
        guard let listener else { return }
        while !isAcceptSuspended {
            if openConnectionCount >= configuration.maxConnections {
                acceptSource?.suspend()
                isAcceptSuspended = true
                return
            }
            let descriptor: Int32?
            do {
                descriptor = try listener.accept()
            } catch {
                if error.code == ECONNABORTED { continue }
                // Out of descriptors or memory: pause accepting briefly rather than spin on the error.
                logger.warning("accept failed", metadata: ["error": "\(error)"])
                acceptSource?.suspend()
                isAcceptSuspended = true
                acceptQueue.asyncAfter(deadline: .now() + .milliseconds(100)) { [self] in resumeAccepting() }
                return
            }
            guard let descriptor else { return }
            let connection = HTTPConnection(descriptor: descriptor, server: self)
            let accepted = registry.withLock { registry -> Bool in
                guard !registry.isDraining else { return false }
                registry.connections[ObjectIdentifier(connection)] = connection
                return true
            }
            guard accepted else {
                _ = Glibc.close(descriptor)
                return
            }
            openConnections.enter()
            statistics.connectionOpened()
            connection.start()
        }
    }

    private func resumeAccepting() {
        dispatchPrecondition(condition: .onQueue(acceptQueue))
        guard isAcceptSuspended, let acceptSource else { return }
        isAcceptSuspended = false
        acceptSource.resume()
    }

    func connectionClosed(_ connection: HTTPConnection) {
        registry.withLock { _ = $0.connections.removeValue(forKey: ObjectIdentifier(connection)) }
        statistics.connectionClosed()
        openConnections.leave()
        acceptQueue.async { [self] in
            if openConnectionCount < configuration.maxConnections { resumeAccepting() }
        }
    }

    /// Stops accepting (new connections are refused), closes idle connections and lets the in-flight ones finish.
    package func beginDrain() {
        let connections = registry.withLock { registry in
            registry.isDraining = true
            return Array(registry.connections.values)
        }
        acceptQueue.sync {
            if isAcceptSuspended { acceptSource?.resume() }
            isAcceptSuspended = false
            acceptSource?.cancel()
            acceptSource = nil
            listener = nil
        }
        for connection in connections { connection.beginDrain() }
    }

    /// Waits until every connection has closed; false if `timeout` passed first.
    package func waitForConnections(timeout: Duration) -> Bool {
        let (seconds, attoseconds) = timeout.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        return openConnections.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .success
    }

    /// Drains, waits up to `grace`, then closes whatever is left and waits for it.
    package func shutdown(grace: Duration) {
        beginDrain()
        if !waitForConnections(timeout: grace) {
            let remaining = registry.withLock { Array($0.connections.values) }
            logger.warning("closing connections still open after the grace period", metadata: ["count": "\(remaining.count)"])
            for connection in remaining { connection.forceClose() }
            _ = waitForConnections(timeout: .seconds(5))
        }
    }
}
