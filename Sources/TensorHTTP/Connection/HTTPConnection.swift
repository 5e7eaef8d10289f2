import Logging
import TensorMemory

/// One client connection on one event loop: reads requests, hands them to the handler one at a time, writes
/// answers in order.
///
/// `ConnectionStateMachine` decides (keep-alive, lingering, timeouts, drain); this class feeds it every event and
/// carries out the action it answers with. What a request carries lives in one `Exchange`. Reading and decoding are
/// in `HTTPConnection+Reading`, answers in `+Writing`, answers made piece by piece in `+Streaming`.
///
/// All mutable state is confined to `loop`'s thread. One request is handled at a time: while it is processed
/// the socket is not read, so pipelined requests wait in the kernel's buffer and are answered in order. The
/// descriptor is registered once, edge-triggered, so readiness is remembered here (`isReadable`, `isWritable`)
/// rather than re-armed. Every event ends in `pump()`, the one place that does what can be done next.
package final class HTTPConnection: EventLoopHandler, @unchecked Sendable {
    // @unchecked Sendable: every stored var is touched only on `loop`'s thread (workers reach the connection only
    // through `loop.execute`); the lets are immutable.
    //
    // `@exclusivity(unchecked)`: the hot state below is not checked for overlapping access at run time. It is
    // confined to one thread, and no access to it stays open across a call that can come back into the connection
    // (the handler's code, a streamed body's), so two accesses cannot overlap. The checks cost
    // about 2,600 of a /healthz request's 32,500 instructions (bench/instructions.sh); the rest of the product keeps
    // them.
    package let loop: EventLoop
    let descriptor: Int32
    let environment: ConnectionEnvironment
    let transport: any ConnectionTransport
    let clientAddress: String
    @exclusivity(unchecked) var machine: ConnectionStateMachine
    @exclusivity(unchecked) var decoder: HTTPRequestDecoder
    @exclusivity(unchecked) var input = InputBuffer()
    @exclusivity(unchecked) var outbound = OutboundQueue()
    /// The request being read, handled or answered.
    @exclusivity(unchecked) var exchange = Exchange()
    @exclusivity(unchecked) var registrationID: UInt64?
    /// When the loop will call `handleTimer`; nil when no timer entry is pending.
    private var scheduledDeadline: UInt64?
    /// The socket may hold bytes: set by a readable edge, cleared by a read that would block.
    @exclusivity(unchecked) var isReadable = true
    /// The socket may take bytes: set by a writable edge, cleared by a write that would block.
    @exclusivity(unchecked) var isWritable = true
    /// The peer sent FIN: its end of the stream is in the socket, so a short read no longer means "drained" (the
    /// read that returns 0 must still happen, and no further edge will announce it).
    @exclusivity(unchecked) var hasPeerClosedInput = false
    /// True while the handler's `handle` runs on this thread: an answer given then is picked up by `pump`.
    @exclusivity(unchecked) var isInsideHandle = false
    /// The last request's body when it was small, read into again by the next request once nothing else holds it:
    /// a keep-alive client sending small tensors then costs no allocation per body.
    @exclusivity(unchecked) var reusableBody: ByteBuffer?
    /// The last request's share of the budget, given back whole: reopened for the next request once nothing else
    /// holds it (a worker may for a moment), so a keep-alive client's bodies cost no allocation for their budget.
    @exclusivity(unchecked) var spareBudget: RequestBudget?
    /// How the handler answers, made once in `start` (a closure made per request costs an allocation per request).
    /// It holds the connection, which a worker still computing needs; `close` lets go of it, ending that cycle.
    var answerCallback: (@Sendable (HTTPResponse) -> Void)?
    /// The answer whose body is being made while it is written, if any.
    @exclusivity(unchecked) var streaming: StreamingAnswer?
    /// The last answer's head: written into again by the next answer, whose head then costs no allocation once the
    /// last one has left the write queue.
    @exclusivity(unchecked) var headBytes: [UInt8] = []
    /// Whether the connection's first bytes have been looked at for the HTTP/2 preface.
    @exclusivity(unchecked) var hasChosenProtocol = false
    /// Set once the connection speaks HTTP/2: every event goes there from then on.
    @exclusivity(unchecked) var http2: HTTP2Connection?

    static let readChunkBytes = 64 * 1024
    /// Steps (a read, a decoded request, a write) one connection takes before letting the others run: a keep-alive
    /// request takes about five.
    private static let stepsPerTurn = 32

    package init(descriptor: Int32, loop: EventLoop, environment: ConnectionEnvironment, clientAddress: String = "") {
        self.descriptor = descriptor
        self.loop = loop
        self.environment = environment
        self.clientAddress = clientAddress
        machine = ConnectionStateMachine(
            now: EventLoop.now(), readTimeout: environment.readTimeout, idleTimeout: environment.idleTimeout,
            lingerTimeout: environment.lingerTimeout)
        decoder = HTTPRequestDecoder(limits: environment.limits, clientAddress: clientAddress)
        if let tls = environment.tls {
            // No TLS session (out of memory): the connection closes at its first event rather than speak plain HTTP.
            transport = TLSTransport(context: tls, descriptor: descriptor) ?? FailedTransport()
        } else {
            transport = PlainTransport(descriptor: descriptor)
        }
    }

    /// Registers with the loop and reads what has already arrived. Called once, on the loop.
    package func start() {
        loop.assertInLoop()
        // A drain that came between accept and this start closed the connection already (and its descriptor).
        guard !machine.isClosed else { return }
        do {
            registrationID = try loop.register(descriptor, handler: self)
        } catch {
            environment.logger.warning("could not watch a connection", metadata: ["error": "\(error)"])
            close()
            return
        }
        answerCallback = { [self, loop] response in
            // Small work runs right here, inside `handle`: keep its answer for `pump`, which is still on the stack,
            // rather than write from inside the handler. Any other answer comes back through the loop.
            if loop.isCurrent && isInsideHandle {
                exchange.answerGivenInline = response
            } else {
                loop.execute {
                    self.finishRequest(response)
                    self.pump()
                }
            }
        }
        rearmTimer()
        pump()
    }

    /// SIGTERM: finish a request whose head has arrived, close otherwise. Callable from any thread; returns once the
    /// connection's loop has applied it, so bytes the loop reads from then on are read as a draining connection's
    /// (an event collected just before could otherwise be handled after, with the drain still queued).
    package func beginDrain() {
        loop.executeAndWait { [self] in
            if let http2 { return http2.beginDrain() }
            carryOut(machine.handle(.drain))
            pump()
        }
    }

    /// Closes at once, whatever is in flight (the end of the shutdown grace). Callable from any thread.
    package func forceClose() {
        loop.execute { [self] in
            if let http2 { return http2.forceClose() }
            close()
        }
    }

    // MARK: - Events

    package func handleEvents(_ events: EventSet) {
        if let http2 { return http2.handleEvents(events) }
        guard !machine.isClosed else { return }
        // A reset, or both directions shut: nothing can be read or written any more, whatever phase we are in.
        // Closing here (not when the next read or write fails) is what keeps a client that resets mid-answer from
        // leaving its descriptor, answer and budget behind.
        if !events.isDisjoint(with: [.error, .hangup]) {
            close()
            return
        }
        if events.contains(.readHangup) { hasPeerClosedInput = true }
        if !events.isDisjoint(with: [.readable, .readHangup]) || !transport.tracksReadinessExactly { isReadable = true }
        if events.contains(.writable) || !transport.tracksReadinessExactly { isWritable = true }
        pump()
    }

    package func handleTimer(deadline: UInt64) {
        if let http2 { return http2.handleTimer(deadline: deadline) }
        guard !machine.isClosed, deadline == scheduledDeadline else { return }
        scheduledDeadline = nil
        carryOut(machine.handle(.timerFired(now: EventLoop.now())))
        pump()
    }

    /// Does what the machine answered to an event; `writeAnswer` is carried out by `respond`, which asked for it.
    func carryOut(_ action: ConnectionStateMachine.Action) {
        switch action {
        case .none, .readNextRequest, .writeAnswer:
            break
        case .close:
            close()
        case .answerTimeout:
            respond(environment.handler.errorResponse(for: .requestTimeout, head: exchange.head))
        case .answerDraining:
            guard let head = exchange.head else { return close() }
            respond(environment.handler.drainingResponse(head: head))
        case .linger:
            transport.shutdownOutput()
        }
        rearmTimer()
    }

    // MARK: - The pump

    /// Does everything the connection can do now, in order: handshake, write, hand over an answer made inline,
    /// decode buffered input, read. Returns when it must wait for the socket, a worker or a timer.
    func pump() {
        // A turn is bounded, so a client streaming bytes or pipelining small requests cannot hold the loop's other
        // connections and timers; edge-triggered, a connection that yields with work left queues its next turn.
        var stepsLeft = Self.stepsPerTurn
        while !machine.isClosed && http2 == nil {
            guard stepsLeft > 0 else {
                loop.execute { [self] in pump() }
                return
            }
            stepsLeft -= 1
            if !transport.isReady {
                guard advanceHandshake() else { return }
            }
            if !outbound.isEmpty {
                guard isWritable else { return }
                flush()
                continue
            }
            // Moved out, not copied: an answer is a few hundred bytes.
            if let answer = exchange.answerGivenInline.take() {
                finishRequest(answer)
                continue
            }
            guard machine.readsSocket else { return }
            if machine.readsRequests && !input.isEmpty && decodeInput() { continue }
            if machine.isClosed || !outbound.isEmpty || exchange.answerGivenInline != nil { continue }
            guard machine.readsSocket, isReadable || transport.hasBufferedInput else { return }
            readOnce()
        }
    }

    private func advanceHandshake() -> Bool {
        switch transport.advanceHandshake() {
        case .ready:
            // ALPN chose h2: the client's first bytes will be the HTTP/2 preface.
            if transport.negotiatedHTTP2 {
                switchToHTTP2()
                return false
            }
            return true
        case .needsReadable: isReadable = false
        case .needsWritable: isWritable = false
        case .failed: close()
        }
        return false
    }

    // MARK: - Timers and closing

    /// Makes sure the loop calls `handleTimer` no later than the machine's deadline.
    ///
    /// Deadlines move several times per request, nearly always later. An entry that fires earlier than needed is
    /// left in the loop's heap: `handleTimer` then finds nothing due and schedules the real deadline. A busy
    /// keep-alive connection so schedules about once per timeout instead of several times per request.
    func rearmTimer() {
        guard let registrationID, let deadline = machine.deadline else { return }
        if let scheduledDeadline, scheduledDeadline <= deadline { return }
        loop.scheduleTimer(for: registrationID, at: deadline)
        scheduledDeadline = deadline
    }

    func close() {
        guard !machine.isClosed else { return }
        _ = machine.handle(.closed)
        reportCompletion(now: EventLoop.now(), isComplete: false)
        if let answer = exchange.answerGivenInline { reportUndelivered(answer) }
        // A worker may still hold the request and its memory: the budget is given back when it lets go.
        exchange.budget?.end()
        exchange = Exchange()
        outbound.removeAll()
        answerCallback = nil
        let streamedBody = streaming?.body
        streaming = nil
        streamedBody?.cancel()
        reusableBody = nil
        spareBudget = nil
        input = InputBuffer(capacity: 0)
        if let registrationID { loop.deregister(registrationID) }
        Syscall.close(descriptor)
        environment.connectionClosed(self)
    }
}
