import Dispatch
import Logging
import Synchronization

import Glibc
import TensorMemory

/// Our HTTP/1.1 server: a listening socket, a fixed group of event loops, and one `HTTPConnection` per client.
///
/// The listener is watched by the first loop; each accepted connection is pinned to the next loop in turn and
/// lives there until it closes, so I/O threads are exactly the loops, however many clients come. Past
/// `maxConnections` accepting pauses, so further clients wait in the kernel's listen backlog instead of being
/// dropped, and resumes when a connection closes.
///
/// Out of descriptors (EMFILE, ENFILE), it does what nginx and libuv do: it gives up its spare descriptor, accepts
/// and closes the clients waiting in the backlog (a prompt close instead of a hang), takes the spare back and
/// pauses accepting for `acceptPause`, on the loop's own timer: nothing on this path may need a descriptor.
package final class HTTPServer: EventLoopHandler, @unchecked Sendable {
    // @unchecked Sendable: `listeners` and `spareDescriptor` are confined to `acceptLoop`; the
    // connection registry is behind `registry`'s lock; `isAcceptPaused` and `maxConnections` are atomic; everything
    // else is immutable.
    package let configuration: HTTPServerConfiguration
    package let handler: any HTTPHandler
    package let logger: Logger
    package let budget: InflightBudget
    /// Figures for metrics; readers hold this instead of the server (see `Statistics`).
    package let statistics: Statistics
    package let group: EventLoopGroup
    private var acceptLoop: EventLoop { group.loops[0] }
    /// The HTTP port's listener first, then those of `additionalPorts`; all speak the same service.
    private var listeners: [(socket: ListeningSocket, id: UInt64)] = []
    /// Held open to be given up when the process runs out of descriptors (-1 while given up).
    private var spareDescriptor: Int32 = -1
    /// Accepting waits for a connection to close (the limit) or for a moment to pass (out of descriptors).
    private let isAcceptPaused = Atomic<Bool>(false)
    /// `configuration.maxConnections`, or fewer when the descriptor limit holds fewer (set by `start`).
    private let maxConnections: Atomic<Int>
    /// How long accepting pauses after running out of descriptors or memory.
    static let acceptPause: UInt64 = 100_000_000
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
        private let acceptErrors = AcceptErrorCounts()

        package init(budget: InflightBudget) { self.budget = budget }

        /// Failed accepts so far, by reason (`AcceptErrorReason`).
        package var acceptErrorCounts: [(reason: String, count: Int)] { acceptErrors.counts }

        /// Bytes of answers handed to connections for writing, and bytes read from them; plain text (inside TLS),
        /// compressed bodies as compressed.
        package var sentBytes: Int { sent.load(ordering: .relaxed) }
        package var receivedBytes: Int { received.load(ordering: .relaxed) }
        package var openConnectionCount: Int { connections.load(ordering: .sequentiallyConsistent) }

        func recordSent(_ bytes: Int) { sent.add(bytes, ordering: .relaxed) }
        func recordReceived(_ bytes: Int) { received.add(bytes, ordering: .relaxed) }
        func connectionOpened() { connections.add(1, ordering: .relaxed) }
        func connectionClosed() { connections.subtract(1, ordering: .sequentiallyConsistent) }
        func recordAcceptError(_ reason: AcceptErrorReason) { acceptErrors.add(reason) }
    }

    package init(configuration: HTTPServerConfiguration, handler: any HTTPHandler, logger: Logger) throws(SystemError) {
        self.configuration = configuration
        self.handler = handler
        self.logger = logger
        self.budget = InflightBudget(limit: configuration.maxInflightBytes)
        self.statistics = Statistics(budget: budget)
        self.maxConnections = Atomic(configuration.maxConnections)
        self.group = try EventLoopGroup(count: configuration.eventLoopCount)
    }

    /// The most connections open at once: the configured number, or fewer when the descriptor limit says so.
    package var connectionLimit: Int { maxConnections.load(ordering: .relaxed) }

    /// The bound ports of `configuration.additionalPorts`, in order, once `start` has returned.
    package private(set) var additionalBoundPorts: [Int] = []

    /// Binds every port and starts accepting; returns the HTTP port as bound (the kernel's pick when the
    /// configuration says 0). Throws when the descriptor limit leaves room for no connection at all.
    package func start() throws(SystemError) -> Int {
        Syscall.ignoreBrokenPipe()
        var sockets: [ListeningSocket] = []
        var spare: Int32 = -1
        do {
            for port in [configuration.port] + configuration.additionalPorts {
                sockets.append(try ListeningSocket.bind(host: configuration.host, port: port))
            }
            spare = try Syscall.openReadOnly("/dev/null")
            try fitConnectionsToDescriptorLimit()
        } catch {
            for socket in sockets { socket.close() }
            if spare >= 0 { Syscall.close(spare) }
            throw error
        }
        let registered = Locked<SystemError?>(nil)
        acceptLoop.executeAndWait { [self, sockets, spare] in
            spareDescriptor = spare
            do throws(SystemError) {
                for socket in sockets { listeners.append((socket, try acceptLoop.register(socket.descriptor, handler: self))) }
                acceptPending()
            } catch {
                registered.withLock { $0 = error }
            }
        }
        if let error = registered.withLock({ $0 }) {
            acceptLoop.executeAndWait { [self] in
                for listener in listeners { acceptLoop.deregister(listener.id) }
                listeners.removeAll()
            }
            for socket in sockets { socket.close() }
            Syscall.close(spare)
            throw error
        }
        additionalBoundPorts = sockets.dropFirst().map(\.port)
        return sockets[0].port
    }

    /// Lowers the connection limit to what the descriptor limit holds, saying so; throws when nothing fits.
    private func fitConnectionsToDescriptorLimit() throws(SystemError) {
        let budget = DescriptorBudget(
            limit: Syscall.descriptorLimit().soft, inUse: Syscall.openDescriptorCount(),
            reserved: configuration.reservedDescriptors)
        let requested = configuration.maxConnections
        guard let fitting = budget.clamp(requested) else {
            throw SystemError(
                code: EMFILE,
                call: "the descriptor limit (ulimit -n \(budget.limit), \(budget.inUse) open, \(budget.reserved) kept for "
                    + "other uses) leaves none for a connection; raise it")
        }
        maxConnections.store(fitting, ordering: .relaxed)
        guard fitting < requested else { return }
        logger.warning(
            "max connections lowered to fit the descriptor limit",
            metadata: [
                "max_connections": .stringConvertible(requested), "lowered_to": .stringConvertible(fitting),
                "descriptor_limit": .stringConvertible(budget.limit), "descriptors_open": .stringConvertible(budget.inUse),
                "descriptors_kept": .stringConvertible(budget.reserved),
            ])
    }

    package var openConnectionCount: Int { statistics.openConnectionCount }

    /// The listener is readable: connections wait to be accepted.
    package func handleEvents(_ events: EventSet) { acceptPending() }

    /// The pause after running out of descriptors or memory is over.
    package func handleTimer(deadline: UInt64) { resumeAccepting() }

    /// Accepts on every listener until its backlog is empty (edge-triggered: a listener reports again only for new
    /// arrivals; one without any answers EAGAIN at once), the connection limit is reached or accepting fails.
    private func acceptPending() {
        acceptLoop.assertInLoop()
        for listener in listeners {
            guard acceptPending(on: listener.socket) else { return }
        }
    }

    /// Accepts from one listener; false when accepting paused.
    private func acceptPending(on listener: ListeningSocket) -> Bool {
        while !isAcceptPaused.load(ordering: .sequentiallyConsistent) {
            let limit = connectionLimit
            if openConnectionCount >= limit {
                // Sequentially consistent, like the closing side (count, then flag): one of the two always sees the
                // other's write, so accepting cannot stay paused with a free slot.
                isAcceptPaused.store(true, ordering: .sequentiallyConsistent)
                // A connection may have closed between the check and the flag: look again.
                if openConnectionCount < limit {
                    isAcceptPaused.store(false, ordering: .sequentiallyConsistent)
                }
                continue
            }
            let accepted: (descriptor: Int32, address: String)?
            do {
                accepted = try Syscall.accept(listener.descriptor)
            } catch {
                guard let reason = AcceptErrorReason(code: error.code) else { continue }
                statistics.recordAcceptError(reason)
                if reason.isOutOfDescriptors { shedWaitingClients(listener) }
                logger.warning(
                    "accept failed; pausing", metadata: ["error": "\(error)", "pause_ms": .stringConvertible(Self.acceptPause / 1_000_000)])
                pauseAccepting()
                return false
            }
            guard let accepted else { return true }
            // A keep-alive client must never wait on Nagle's algorithm for the tail of an answer.
            try? Syscall.setOption(accepted.descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
            open(accepted.descriptor, clientAddress: accepted.address)
        }
        return false
    }

    /// Out of descriptors: frees the spare, accepts and closes the clients waiting now, so they see a prompt close
    /// rather than wait in the backlog for a descriptor, then takes the spare back.
    private func shedWaitingClients(_ listener: ListeningSocket) {
        if spareDescriptor >= 0 {
            Syscall.close(spareDescriptor)
            spareDescriptor = -1
        }
        // Bounded: clients arriving while this runs must not hold the loop.
        for _ in 0..<256 {
            guard let shed = try? Syscall.accept(listener.descriptor) else { break }
            Syscall.close(shed.descriptor)
            statistics.recordAcceptError(.shed)
        }
        spareDescriptor = (try? Syscall.openReadOnly("/dev/null")) ?? -1
    }

    /// Stops accepting for `acceptPause`, on the loop's timer heap (a Dispatch timer needs descriptors of its own).
    private func pauseAccepting() {
        isAcceptPaused.store(true, ordering: .sequentiallyConsistent)
        guard let first = listeners.first else { return }
        acceptLoop.scheduleTimer(for: first.id, at: EventLoop.now() + Self.acceptPause)
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
                if openConnectionCount < connectionLimit { resumeAccepting() }
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
            for listener in listeners {
                acceptLoop.deregister(listener.id)
                listener.socket.close()
            }
            listeners.removeAll()
            if spareDescriptor >= 0 { Syscall.close(spareDescriptor) }
            spareDescriptor = -1
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
