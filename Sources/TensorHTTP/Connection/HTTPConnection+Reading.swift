import TensorMemory

/// Reading and decoding: bytes from the socket become requests, whose heads are admitted (budget, early answers,
/// `100 Continue`) and whose whole requests go to the handler.
extension HTTPConnection {
    /// Bodies kept for reuse are at most this large, so idle connections hold little memory (16 MiB at 1,024).
    private static let maxReusableBodyBytes = 16 * 1024

    /// One read from the socket: into the body directly when a Content-Length body is being read and nothing is
    /// buffered, otherwise into the input buffer.
    func readOnce() {
        let result: TransportRead
        var requested = Self.readChunkBytes
        do {
            if machine.discardsInput {
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
    func decodeInput() -> Bool {
        if !hasChosenProtocol {
            switch HTTP2Preface.match(input.readable) {
            case .incomplete: return false
            case .http2:
                switchToHTTP2()
                return true
            case .other: hasChosenProtocol = true
            }
        }
        while !machine.isClosed && machine.readsRequests {
            if !input.isEmpty { noteRequestBytes() }
            let event: HTTPRequestDecoder.Event?
            do {
                event = try decoder.next(from: &input)
            } catch {
                if exchange.head == nil { exchange.head = decoder.refusedHead }
                respond(environment.handler.errorResponse(for: error, head: exchange.head))
                return true
            }
            if let received = decoder.chunkedBodyByteCount, !reserveBody(upTo: received) { return true }
            guard let event else {
                let action = machine.handle(.inputDecoded(pipelinedInput: machine.isDraining && hasPipelinedInput))
                carryOut(action)
                return action != .none
            }
            switch event {
            case .head(let head):
                if beginRequest(head) { return true }
            case .request(let request):
                if request.head.framing == .chunked && !reserveBody(upTo: request.body.count) { return true }
                if request.body.capacity <= Self.maxReusableBodyBytes { reusableBody = request.body }
                carryOut(machine.handle(.requestComplete))
                dispatchToHandler(request)
                return true
            }
        }
        return true
    }

    /// Bytes of a request arrived: the first ones start its read timeout and its timing.
    private func noteRequestBytes() {
        guard machine.requestStart == nil else { return }
        _ = machine.handle(.requestBytes(now: EventLoop.now()))
    }

    /// Admits a head: an early answer, the budget for its body, `100 Continue`. True when it answered already.
    private func beginRequest(_ head: HTTPRequestHead) -> Bool {
        exchange.head = head
        // A request without a body holds no budget of its own: nothing to allocate per request for it.
        exchange.budget = head.framing == .none ? nil : takeRequestBudget()
        let action = machine.handle(.headReceived)
        guard action == .none else {
            carryOut(action)
            return true
        }
        switch environment.handler.prepare(head) {
        case .answer(let early) where head.framing != .none:
            // The body is never read: the machine closes the connection after this answer.
            respond(early)
            return true
        case .answer(let early):
            // Nothing to skip: answered like any request once its (empty) body is complete, keeping the connection.
            exchange.prepared = ImmediateAnswer(response: early)
        case .proceed(let prepared):
            exchange.prepared = prepared
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
        switch exchange.budget?.grow(to: bodyBytes) ?? .granted {
        case .granted: return true
        case .busy: error = .overloaded(inflightLimit: environment.budget.limit)
        case .exceedsLimit(let limit): error = .exceedsInflightBudget(limit: limit)
        }
        respond(environment.handler.errorResponse(for: error, head: exchange.head))
        return false
    }

    /// A share of the in-flight budget for the request: the last request's, when nothing else holds it any more.
    private func takeRequestBudget() -> RequestBudget {
        defer { spareBudget = nil }
        guard isKnownUniquelyReferenced(&spareBudget), let spare = spareBudget else { return RequestBudget(budget: environment.budget) }
        spare.reopen()
        return spare
    }

    /// The kept body, if the handler and the answer have let go of it (a worker may still hold it for a moment).
    private func takeReusableBody() -> ByteBuffer? {
        defer { reusableBody = nil }
        return isKnownUniquelyReferenced(&reusableBody) ? reusableBody : nil
    }

    /// Bytes the client has sent that this connection has not decoded yet (buffered, in TLS, or in the kernel).
    /// The kernel is asked (a system call) only when nothing is buffered here, so callers ask only while draining,
    /// the one time the machine looks at it.
    var hasPipelinedInput: Bool {
        !input.isEmpty || transport.hasBufferedInput || Syscall.pendingInputBytes(descriptor) > 0
    }

    private func dispatchToHandler(_ request: consuming HTTPRequest) {
        var request = request
        request.budget = exchange.budget
        guard let prepared = exchange.prepared, let answerCallback else {
            preconditionFailure("a request completed without its head's decision")
        }
        exchange.prepared = nil
        isInsideHandle = true
        prepared.handle(request, respond: answerCallback)
        isInsideHandle = false
    }

    /// The client spoke HTTP/2 (its preface, or ALPN h2): an `HTTP2Connection` takes over the socket, its registration
    /// and the bytes read so far; this connection forwards its events there from now on.
    func switchToHTTP2() {
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
}

/// A head's answer for a request without a body: given when the request is complete, like any other.
private struct ImmediateAnswer: PreparedExchange {
    let response: HTTPResponse

    func handle(_ request: consuming HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void) { respond(response) }
}
