import Logging

/// One client connection on one event loop: reads requests, hands them to the handler one at a time, writes
/// answers in order.
///
/// All mutable state is confined to `loop`'s thread. One request is handled at a time: while it is processed
/// the socket is not read, so pipelined requests wait in the kernel's buffer and are answered in order. The
/// descriptor is registered once, edge-triggered, so readiness is remembered here (`isReadable`, `isWritable`)
/// rather than re-armed. Every event ends in `pump()`, the one place that decides what to do next; keep-alive,
/// timeouts, lingering and drain are decided by `ConnectionStateMachine`.
package final class HTTPConnection: EventLoopHandler, @unchecked Sendable {
    // @unchecked Sendable: every stored var is touched only on `loop`'s thread (workers reach the connection only
    // through `loop.execute`); the lets are immutable.
    package let loop: EventLoop
    private let descriptor: Int32
    private let environment: ConnectionEnvironment
    private let transport: any ConnectionTransport
    private var machine: ConnectionStateMachine
    private var decoder: HTTPRequestDecoder
    private var input = InputBuffer()
    private var outbound = OutboundQueue()
    /// The current request's share of the in-flight budget.
    private var reservation: RequestBudget?
    private var registrationID: UInt64?
    /// When the loop will call `handleTimer`; nil when no timer entry is pending.
    private var scheduledDeadline: UInt64?
    /// The socket may hold bytes: set by a readable edge, cleared by a read that would block.
    private var isReadable = true
    /// The socket may take bytes: set by a writable edge, cleared by a write that would block.
    private var isWritable = true
    private var isClosing = false
    /// The peer sent FIN: its end of the stream is in the socket, so a short read no longer means "drained" (the
    /// read that returns 0 must still happen, and no further edge will announce it).
    private var hasPeerClosedInput = false
    /// True while the handler's `handle` runs on this thread: an answer given then is picked up by `pump`.
    private var isInsideHandle = false
    private var currentHead: HTTPRequestHead?
    /// What the handler decided from the head of the request whose body is being read.
    private var preparedExchange: (any PreparedExchange)?
    /// An answer the handler gave while still inside `handle` (small work computed on this thread).
    private var answerGivenInline: HTTPResponse?
    /// When the current request's first byte arrived (0: none yet).
    private var requestFirstByte: UInt64 = 0
    /// The written-callback of the answer being written, with the first byte of its request.
    private var pendingCompletion: (callback: @Sendable (ExchangeTiming) -> Void, firstByte: UInt64)?
    /// The last request's body when it was small, read into again by the next request once nothing else holds it:
    /// a keep-alive client sending small tensors then costs no allocation per body.
    private var reusableBody: ByteBuffer?
    /// How the handler answers, made once in `start` (a closure made per request costs an allocation per request).
    /// It holds the connection, which a worker still computing needs; `close` lets go of it, ending that cycle.
    private var answerCallback: (@Sendable (HTTPResponse) -> Void)?
    /// The answer whose body is being made while it is written, if any.
    private var streaming: StreamingAnswer?
    /// Whether the connection's first bytes have been looked at for the HTTP/2 preface.
    private var hasChosenProtocol = false
    /// Set once the connection speaks HTTP/2: every event goes there from then on.
    private var http2: HTTP2Connection?
    private let clientAddress: String

    private static let readChunkBytes = 64 * 1024
    /// Steps (a read, a decoded request, a write) one connection takes before letting the others run: a keep-alive
    /// request takes about five.
    private static let stepsPerTurn = 32
    /// Bodies kept for reuse are at most this large, so idle connections hold little memory (16 MiB at 1,024).
    private static let maxReusableBodyBytes = 16 * 1024

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
        guard !isClosing else { return }
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
                answerGivenInline = response
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
            guard !isClosing else { return }
            if machine.beginDrain() == .closeNow { close() } else { pump() }
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
        guard !isClosing else { return }
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
        guard !isClosing, deadline == scheduledDeadline else { return }
        scheduledDeadline = nil
        switch machine.timerFired(now: EventLoop.now()) {
        case .none:
            rearmTimer()
        case .close:
            close()
        case .respondTimeoutAndClose:
            respond(environment.handler.errorResponse(for: .requestTimeout, head: currentHead), keepAlive: false)
            pump()
        }
    }

    // MARK: - The pump

    /// Does everything the connection can do now, in order: handshake, write, hand over an answer made inline,
    /// decode buffered input, read. Returns when it must wait for the socket, a worker or a timer.
    private func pump() {
        // A turn is bounded, so a client streaming bytes or pipelining small requests cannot hold the loop's other
        // connections and timers; edge-triggered, a connection that yields with work left queues its next turn.
        var stepsLeft = Self.stepsPerTurn
        while !isClosing && http2 == nil {
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
            if let answer = answerGivenInline {
                answerGivenInline = nil
                finishRequest(answer)
                continue
            }
            guard machine.readsSocket else { return }
            if machine.readsRequests && !input.isEmpty && decodeInput() { continue }
            if isClosing || !outbound.isEmpty || answerGivenInline != nil { continue }
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

    // MARK: - Reading

    /// One read from the socket: into the body directly when a Content-Length body is being read and nothing is
    /// buffered, otherwise into the input buffer.
    private func readOnce() {
        let result: TransportRead
        var requested = Self.readChunkBytes
        do {
            if case .lingering = machine.phase {
                result = try readIntoInput()
                input.consume(input.readableCount)
            } else if input.isEmpty, let window = decoder.directBodyWindow {
                requested = window.count
                result = try transport.read(into: window)
                if case .bytes(let count) = result { decoder.directBodyFilled(count) }
            } else {
                result = try readIntoInput()
            }
        } catch {
            environment.logger.debug("read failed", metadata: ["error": "\(error)"])
            close()
            return
        }
        switch result {
        case .wouldBlock:
            isReadable = false
        case .end:
            close()
        case .bytes(let count):
            environment.statistics.recordReceived(count)
            if count < requested && transport.tracksReadinessExactly && !hasPeerClosedInput { isReadable = false }
            if machine.readsRequests {
                noteRequestBytes()
                // A body read straight into its buffer never passes through the input: decode to notice its end.
                if input.isEmpty { _ = decodeInput() }
            }
        }
    }

    private func readIntoInput() throws(SystemError) -> TransportRead {
        let space = input.writable(minimum: Self.readChunkBytes)
        let result = try transport.read(into: UnsafeMutableRawBufferPointer(rebasing: space.prefix(Self.readChunkBytes)))
        if case .bytes(let count) = result { input.commit(count) }
        return result
    }

    /// Decodes what the input holds: heads are checked and admitted, a whole request goes to the handler.
    /// Returns true when it changed what the connection does next (a request handed over, an answer queued).
    private func decodeInput() -> Bool {
        if !hasChosenProtocol {
            switch HTTP2Preface.match(input.readable) {
            case .incomplete: return false
            case .http2:
                switchToHTTP2()
                return true
            case .other: hasChosenProtocol = true
            }
        }
        while !isClosing && machine.readsRequests {
            if !input.isEmpty { noteRequestBytes() }
            let event: HTTPRequestDecoder.Event?
            do {
                event = try decoder.next(from: &input)
            } catch {
                if currentHead == nil { currentHead = decoder.refusedHead }
                respond(environment.handler.errorResponse(for: error, head: currentHead), keepAlive: false)
                return true
            }
            if let received = decoder.chunkedBodyByteCount, !reserveBody(upTo: received) { return true }
            guard let event else {
                // Draining with nothing more to read: close. (Bytes still pipelined are read and answered 503, or 408
                // if they never make a whole request.)
                if machine.isDraining && !isRequestInFlight && !hasPipelinedInput {
                    close()
                    return true
                }
                rearmTimer()
                return false
            }
            switch event {
            case .head(let head):
                if beginRequest(head) { return true }
            case .request(let request):
                if request.head.framing == .chunked && !reserveBody(upTo: request.body.count) { return true }
                if request.body.capacity <= Self.maxReusableBodyBytes { reusableBody = request.body }
                machine.requestComplete()
                dispatchToHandler(request)
                return true
            }
        }
        return true
    }

    /// Bytes of a request arrived: the first ones start its read timeout and its timing.
    private func noteRequestBytes() {
        guard case .waiting = machine.phase else { return }
        requestFirstByte = EventLoop.now()
        machine.bytesArrived(now: requestFirstByte)
    }

    /// Admits a head: an early answer, the budget for its body, `100 Continue`. True when it answered already.
    private func beginRequest(_ head: HTTPRequestHead) -> Bool {
        currentHead = head
        // A request without a body holds no budget of its own: nothing to allocate per request for it.
        reservation = head.framing == .none ? nil : RequestBudget(budget: environment.budget)
        machine.headReceived()
        if machine.isDraining {
            respond(environment.handler.drainingResponse(head: head), keepAlive: false)
            return true
        }
        switch environment.handler.prepare(head) {
        case .answer(let early) where head.framing != .none:
            // The body is never read, so the connection cannot be kept.
            respond(early, keepAlive: false)
            return true
        case .answer(let early):
            // Nothing to skip: answered like any request once its (empty) body is complete, keeping the connection.
            preparedExchange = ImmediateAnswer(response: early)
        case .proceed(let exchange):
            preparedExchange = exchange
        }
        guard reserveBody(upTo: head.declaredBodyBytes) else { return true }
        decoder.beginBody(reusing: takeReusableBody())
        if head.expectsContinue && input.isEmpty { outbound.enqueueInterim(ResponseHeadWriter.continueHead) }
        return false
    }

    /// Holds budget for `bodyBytes` of the current body; past the budget the client gets 503 (413 when the body
    /// alone is larger than all of it) and the connection closes. False when that answer was given.
    private func reserveBody(upTo bodyBytes: Int) -> Bool {
        let error: HTTPRequestError
        switch reservation?.grow(to: bodyBytes) ?? .granted {
        case .granted: return true
        case .busy: error = .overloaded(inflightLimit: environment.budget.limit)
        case .exceedsLimit(let limit): error = .exceedsInflightBudget(limit: limit)
        }
        respond(environment.handler.errorResponse(for: error, head: currentHead), keepAlive: false)
        return false
    }

    /// The kept body, if the handler and the answer have let go of it (a worker may still hold it for a moment).
    private func takeReusableBody() -> ByteBuffer? {
        defer { reusableBody = nil }
        return isKnownUniquelyReferenced(&reusableBody) ? reusableBody : nil
    }

    private var isRequestInFlight: Bool {
        switch machine.phase {
        case .receivingBody, .processing, .writing: true
        default: false
        }
    }

    /// Bytes the client has sent that this connection has not decoded yet (buffered, in TLS, or in the kernel).
    private var hasPipelinedInput: Bool {
        !input.isEmpty || transport.hasBufferedInput || Syscall.pendingInputBytes(descriptor) > 0
    }

    private func dispatchToHandler(_ request: consuming HTTPRequest) {
        var request = request
        request.budget = reservation
        guard let exchange = preparedExchange, let answerCallback else {
            preconditionFailure("a request completed without its head's decision")
        }
        preparedExchange = nil
        isInsideHandle = true
        exchange.handle(request, respond: answerCallback)
        isInsideHandle = false
    }

    private func finishRequest(_ response: HTTPResponse) {
        guard !isClosing else { return reportUndelivered(response) }
        respond(response, keepAlive: currentHead?.wantsKeepAlive ?? false)
    }

    /// The client spoke HTTP/2 (its preface, or ALPN h2): an `HTTP2Connection` takes over the socket, its registration
    /// and the bytes read so far; this connection forwards its events there from now on.
    private func switchToHTTP2() {
        hasChosenProtocol = true
        answerCallback = nil
        guard let registrationID else { return close() }
        let initial = Array(input.readable)
        input = InputBuffer(capacity: 0)
        let successor = HTTP2Connection(
            owner: self, descriptor: descriptor, loop: loop, registrationID: registrationID, environment: environment,
            transport: transport, clientAddress: clientAddress)
        http2 = successor
        successor.start(initial: initial)
    }

    // MARK: - Writing

    /// Queues a final answer. `keepAlive` is what the request and the answer allow; the state machine has the last
    /// word (a drain closes). A HEAD request gets the head alone, with the Content-Length its GET would have.
    private func respond(_ response: HTTPResponse, keepAlive: Bool) {
        let now = EventLoop.now()
        let keep = machine.responseStarted(now: now, requested: keepAlive) { hasPipelinedInput }
        if let callback = response.onWritten {
            pendingCompletion = (callback, requestFirstByte == 0 ? now : requestFirstByte)
        }
        let head = ResponseHeadWriter.head(
            for: response, keepAlive: keep, clientMinorVersion: currentHead?.versionMinor ?? 1)
        let isHead = currentHead?.method == "HEAD"
        let body = isHead ? [] : response.body
        environment.statistics.recordSent(head.count + body.reduce(0) { $0 + $1.count })
        if let streamed = response.streamedBody {
            if isHead || streamed.byteCount == 0 {
                streamed.cancel()
            } else {
                outbound.enqueueInterim(head)
                beginStreaming(streamed, keepAlive: keep)
                rearmTimer()
                return
            }
        }
        outbound.enqueueResponse(head: head, body: body, keepAlive: keep)
        rearmTimer()
    }

    /// Writes as much as the socket takes; an answer that has fully left moves the connection on.
    private func flush() {
        while !isClosing && !outbound.isEmpty {
            let written: Int?
            do {
                written = try transport.write(outbound)
            } catch {
                environment.logger.debug("write failed", metadata: ["error": "\(error)"])
                close()
                return
            }
            guard let written else {
                isWritable = false
                return
            }
            machine.wrote(now: EventLoop.now())
            if outbound.consume(written) != nil { responseWritten() }
            // Taken on every write, so that the last piece of an answer (written after `streaming` ended) is not
            // counted against the next one.
            let piecesSent = outbound.takePiecesSent()
            if streaming != nil {
                streaming?.piecesQueued -= piecesSent
                requestPiece()
            }
        }
    }

    // MARK: - Streamed bodies

    /// Starts a streamed body after its head: pieces are asked for one at a time, while at most one waits unsent.
    private func beginStreaming(_ body: any StreamedBody, keepAlive: Bool) {
        streaming = StreamingAnswer(body: body, keepAlive: keepAlive, bytesLeft: body.byteCount)
        requestPiece()
    }

    private func requestPiece() {
        guard let current = streaming, !current.isProducing, current.piecesQueued < 2, current.bytesLeft > 0 else { return }
        streaming?.isProducing = true
        current.body.produceNext { [self] piece in
            loop.execute {
                self.pieceArrived(piece)
                self.pump()
            }
        }
    }

    private func pieceArrived(_ piece: StreamedPiece) {
        guard !isClosing, let current = streaming else { return }
        streaming?.isProducing = false
        switch piece {
        case .bytes(let bytes) where bytes.count <= current.bytesLeft:
            environment.statistics.recordSent(bytes.count)
            if bytes.count == current.bytesLeft {
                streaming = nil
                outbound.enqueueLastPiece(bytes, keepAlive: current.keepAlive)
            } else {
                // A piece may be empty (a compressor holding its input back): nothing to queue, ask for the next.
                if !bytes.isEmpty {
                    outbound.enqueue([.bytes(bytes)], endsPiece: true)
                    streaming?.bytesLeft -= bytes.count
                    streaming?.piecesQueued += 1
                }
                requestPiece()
            }
        case .bytes:
            environment.logger.warning("a streamed answer overran its Content-Length")
            close()
        case .failed(let why):
            // The head is sent: a body cut short of its Content-Length is how the client learns the answer failed.
            environment.logger.warning("a streamed answer failed", metadata: ["error": "\(why)"])
            close()
        }
    }

    private func responseWritten() {
        reservation?.releaseAll()
        reservation = nil
        currentHead = nil
        requestFirstByte = 0
        reportCompletion(isComplete: true)
        switch machine.responseSent(now: EventLoop.now(), hasPipelinedInput: { hasPipelinedInput }) {
        case .readNextRequest:
            break
        case .linger:
            transport.shutdownOutput()
        }
        rearmTimer()
    }

    // MARK: - Timers and closing

    /// Makes sure the loop calls `handleTimer` no later than the current deadline.
    ///
    /// Deadlines move several times per request, nearly always later. An entry that fires earlier than needed is
    /// left in the loop's heap: `handleTimer` then finds nothing due and schedules the real deadline. A busy
    /// keep-alive connection so schedules about once per timeout instead of several times per request.
    private func rearmTimer() {
        guard let registrationID, !isClosing, let deadline = machine.deadline else { return }
        if let scheduledDeadline, scheduledDeadline <= deadline { return }
        loop.scheduleTimer(for: registrationID, at: deadline)
        scheduledDeadline = deadline
    }

    /// An answer whose client left before it could be written: still counted and logged, as not delivered.
    private func reportUndelivered(_ response: HTTPResponse) {
        let now = EventLoop.now()
        response.onWritten?(ExchangeTiming(firstByte: requestFirstByte == 0 ? now : requestFirstByte, finished: now, isComplete: false))
    }

    private func reportCompletion(isComplete: Bool) {
        guard let (callback, firstByte) = pendingCompletion else { return }
        pendingCompletion = nil
        callback(ExchangeTiming(firstByte: firstByte, finished: EventLoop.now(), isComplete: isComplete))
    }

    private func close() {
        guard !isClosing else { return }
        isClosing = true
        reportCompletion(isComplete: false)
        if let answer = answerGivenInline { reportUndelivered(answer) }
        machine.closed()
        // A worker may still hold the request and its memory: the budget is given back when it lets go.
        reservation?.end()
        reservation = nil
        outbound.removeAll()
        answerCallback = nil
        streaming?.body.cancel()
        streaming = nil
        answerGivenInline = nil
        reusableBody = nil
        input = InputBuffer(capacity: 0)
        if let registrationID { loop.deregister(registrationID) }
        Syscall.close(descriptor)
        environment.connectionClosed(self)
    }
}

/// A streamed body being written: its source, whether the connection stays open after it, and its pieces in flight.
private struct StreamingAnswer {
    let body: any StreamedBody
    let keepAlive: Bool
    /// A piece is being made.
    var isProducing = false
    /// Pieces queued and not yet fully written.
    var piecesQueued = 0
    /// Bytes of the body still to come.
    var bytesLeft: Int
}

/// A head's answer for a request without a body: given when the request is complete, like any other.
private struct ImmediateAnswer: PreparedExchange {
    let response: HTTPResponse

    func handle(_ request: consuming HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void) { respond(response) }
}
