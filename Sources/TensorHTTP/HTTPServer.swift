import Dispatch
import Logging
import Synchronization

import Glibc

/// Our HTTP/1.1 server: a listening socket, a fixed group of event loops, and one `HTTPConnection` per client.
///
/// The listener is watched by the first loop; each accepted connection is pinned to the next loop in turn and
/// lives there until it closes, so I/O threads are exactly the loops, however many clients come. Past
/// `maxConnections` accepting pauses, so further clients wait in the kernel's listen backlog instead of being
/// dropped, and resumes when a connection closes.
package final class HTTPServer: EventLoopHandler, @unchecked Sendable {
    // @unchecked Sendable: `listener` and `listenerID` are confined to `acceptLoop`; the connection registry is
    // behind `registry`'s lock; `isAcceptPaused` is atomic; everything else is immutable.
    package let configuration: HTTPServerConfiguration
    package let handler: any HTTPHandler
    package let logger: Logger
    package let budget: InflightBudget
    /// Figures for metrics; readers hold this instead of the server (see `Statistics`).
    package let statistics: Statistics
    package let group: EventLoopGroup
    private var acceptLoop: EventLoop { group.loops[0] }
    private var listener: ListeningSocket?
    private var listenerID: UInt64?
    /// Accepting waits for a connection to close (the limit) or for a moment to pass (out of descriptors).
    private let isAcceptPaused = Atomic<Bool>(false)
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

        package init(budget: InflightBudget) { self.budget = budget }

        /// Bytes of answers handed to connections for writing, and bytes read from them; plain text (inside TLS),
        /// compressed bodies as compressed.
        package var sentBytes: Int { sent.load(ordering: .relaxed) }
        package var receivedBytes: Int { received.load(ordering: .relaxed) }
        package var openConnectionCount: Int { connections.load(ordering: .sequentiallyConsistent) }

        func recordSent(_ bytes: Int) { sent.add(bytes, ordering: .relaxed) }
        func recordReceived(_ bytes: Int) { received.add(bytes, ordering: .relaxed) }
        func connectionOpened() { connections.add(1, ordering: .relaxed) }
        func connectionClosed() { connections.subtract(1, ordering: .sequentiallyConsistent) }
    }

    package init(configuration: HTTPServerConfiguration, handler: any HTTPHandler, logger: Logger) throws(SystemError) {
        self.configuration = configuration
        self.handler = handler
        self.logger = logger
        self.budget = InflightBudget(limit: configuration.maxInflightBytes)
        self.statistics = Statistics(budget: budget)
        self.group = try EventLoopGroup(count: configuration.eventLoopCount)
    }

    /// Binds and starts accepting; returns the bound port (the kernel's pick when the configuration says 0).
    package func start() throws(SystemError) -> Int {
        signal(SIGPIPE, SIG_IGN)
        let socket = try ListeningSocket.bind(host: configuration.host, port: configuration.port)
        let registered = Locked<SystemError?>(nil)
        acceptLoop.executeAndWait { [self] in
            listener = socket
            do throws(SystemError) {
                listenerID = try acceptLoop.register(socket.descriptor, handler: self)
                acceptPending()
            } catch {
                registered.withLock { $0 = error }
            }
        }
        if let error = registered.withLock({ $0 }) {
            socket.close()
            throw error
        }
        return socket.port
    }

    package var openConnectionCount: Int { statistics.openConnectionCount }

    /// The listener is readable: connections wait to be accepted.
    package func handleEvents(_ events: EventSet) { acceptPending() }

    package func handleTimer(deadline: UInt64) {}

    /// Accepts until the backlog is empty (edge-triggered: the listener reports again only for new arrivals), the
    /// connection limit is reached or accepting fails.
    private func acceptPending() {
        acceptLoop.assertInLoop()
        guard let listener else { return }
        while !isAcceptPaused.load(ordering: .sequentiallyConsistent) {
            if openConnectionCount >= configuration.maxConnections {
                // Sequentially consistent, like the closing side (count, then flag): one of the two always sees the
                // other's write, so accepting cannot stay paused with a free slot.
                isAcceptPaused.store(true, ordering: .sequentiallyConsistent)
                // A connection may have closed between the check and the flag: look again.
                if openConnectionCount < configuration.maxConnections {
                    isAcceptPaused.store(false, ordering: .sequentiallyConsistent)
                }
                continue
            }
            let accepted: (descriptor: Int32, address: String)?
            do {
                accepted = try Syscall.accept(listener.descriptor)
            } catch {
                if error.code == ECONNABORTED { continue }
                // Out of descriptors or memory: pause accepting briefly rather than spin on the error.
                logger.warning("accept failed", metadata: ["error": "\(error)"])
                isAcceptPaused.store(true, ordering: .sequentiallyConsistent)
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(100)) { [self] in
                    acceptLoop.execute { [self] in resumeAccepting() }
                }
                return
            }
            guard let accepted else { return }
            // A keep-alive client must never wait on Nagle's algorithm for the tail of an answer.
            try? Syscall.setOption(accepted.descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
            open(accepted.descriptor, clientAddress: accepted.address)
        }
    }

    private func open(_ descriptor: Int32, clientAddress: String) {
        let loop = group.next()
        let connection = HTTPConnection(
            descriptor: descriptor, loop: loop, environment: connectionEnvironment, clientAddress: clientAddress)
        let accepted = registry.withLock { registry -> Bool in
            guard !registry.isDraining else { return false }
            registry.connections[ObjectIdentifier(connection)] = connection
            return true
        }
        guard accepted else {
            Syscall.close(descriptor)
            return
        }
        openConnections.enter()
        statistics.connectionOpened()
        if loop === acceptLoop { connection.start() } else { loop.execute { connection.start() } }
    }

    private var connectionEnvironment: ConnectionEnvironment {
        ConnectionEnvironment(
            handler: handler, budget: budget,
            limits: .init(maxHeadBytes: configuration.maxHeadBytes, maxBodyBytes: configuration.maxBodyBytes),
            readTimeout: configuration.readTimeout, idleTimeout: configuration.idleTimeout, tls: configuration.tls,
            logger: logger, statistics: statistics,
            connectionClosed: { [unowned self] connection in connectionClosed(connection) })
    }

    private func resumeAccepting() {
        acceptLoop.assertInLoop()
        guard isAcceptPaused.exchange(false, ordering: .sequentiallyConsistent) else { return }
        acceptPending()
    }

    private func connectionClosed(_ connection: HTTPConnection) {
        registry.withLock { _ = $0.connections.removeValue(forKey: ObjectIdentifier(connection)) }
        statistics.connectionClosed()
        openConnections.leave()
        if isAcceptPaused.load(ordering: .sequentiallyConsistent) {
            acceptLoop.execute { [self] in
                if openConnectionCount < configuration.maxConnections { resumeAccepting() }
            }
        }
    }

    /// What a shutdown found and did.
    package struct ShutdownReport: Sendable {
        /// Connections open when the drain began.
        package var connectionsAtDrain: Int
        /// Connections still open at the end of the grace period, closed there and then.
        package var connectionsClosedAtGrace: Int
    }

    /// Stops accepting (new connections are refused), closes idle connections and lets the in-flight ones finish.
    /// Returns how many connections were open.
    @discardableResult
    package func beginDrain() -> Int {
        let connections = registry.withLock { registry in
            registry.isDraining = true
            return Array(registry.connections.values)
        }
        acceptLoop.executeAndWait { [self] in
            if let listenerID { acceptLoop.deregister(listenerID) }
            listenerID = nil
            listener?.close()
            listener = nil
        }
        for connection in connections { connection.beginDrain() }
        return connections.count
    }

    /// Waits until every connection has closed; false if `timeout` passed first.
    package func waitForConnections(timeout: Duration) -> Bool {
        openConnections.wait(timeout: .now() + timeout.dispatchInterval) == .success
    }

    /// Drains, waits up to `grace`, then closes whatever is left, waits for it and stops the loops.
    @discardableResult
    package func shutdown(grace: Duration) -> ShutdownReport {
        var report = ShutdownReport(connectionsAtDrain: beginDrain(), connectionsClosedAtGrace: 0)
        if !waitForConnections(timeout: grace) {
            let remaining = registry.withLock { Array($0.connections.values) }
            report.connectionsClosedAtGrace = remaining.count
            logger.warning(
                "closing connections still open after the grace period", metadata: ["count": .stringConvertible(remaining.count)])
            for connection in remaining { connection.forceClose() }
            _ = waitForConnections(timeout: .seconds(5))
        }
        group.shutdown()
        return report
    }
}
