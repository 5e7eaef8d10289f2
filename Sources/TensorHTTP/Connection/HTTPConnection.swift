import Dispatch
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One client connection: reads requests, hands them to the handler one at a time, writes answers in order.
///
/// All mutable state is confined to `queue`. One request is handled at a time: while it is processed the socket
/// is not read, so pipelined requests wait in the kernel's buffer and are answered in order. The timeout and
/// keep-alive rules live in `ConnectionStateMachine`; this class carries out its decisions with Dispatch.
final class HTTPConnection: @unchecked Sendable {
    // @unchecked Sendable: every stored var is touched only on `queue` (checked with dispatchPrecondition);
    // the lets are immutable.
    private let descriptor: Int32
    let queue: DispatchQueue
    private unowned let server: HTTPServer
    private var machine: ConnectionStateMachine
    private var decoder: HTTPRequestDecoder
    private var input = InputBuffer()
    private var readSource: (any DispatchSourceRead)?
    private var writeSource: (any DispatchSourceWrite)?
    private var timer: (any DispatchSourceTimer)?
    /// When the timer is set to fire; nil when it is not armed.
    private var scheduledDeadline: UInt64?
    private var isReadSuspended = false
    private var isWriteSuspended = true
    private var outbound: [OutboundSegment] = []
    private var currentHead: HTTPRequestHead?
    private var reservedBytes = 0
    private var isClosing = false
    private var cancelledSources = 0
    /// Set after a final answer on a connection that is being closed: we stop writing and drain what the client
    /// still sends, so its unread bytes do not turn our close into a reset that destroys the answer in flight.
    private var lingerDeadline: UInt64?
    /// TLS state when the port speaks HTTPS; every byte then goes through it.
    private let tls: TLSSession?
    /// The last request's body when it was small, read into again by the next request once nothing else holds it:
    /// a keep-alive client sending small tensors then costs no allocation per body.
    private var reusableBody: ByteBuffer?
    /// What the handler's `prepare` returned for the request whose body is being read.
    private var preparedContext: (any Sendable)?

    private struct OutboundSegment {
        var segment: BodySegment
        var offset = 0
        /// For the last segment of a final answer: whether to keep the connection afterwards.
        var completesResponse: Bool?
    }

    private static let lingerNanoseconds: UInt64 = 2_000_000_000
    private static let readChunkBytes = 64 * 1024
    private static let maxBodyBytesWrittenFromWorker = 64 * 1024
    /// Bodies kept for reuse are at most this large, so idle connections hold little memory (16 MiB at 1,024).
    private static let maxReusableBodyBytes = 16 * 1024
    /// Marks each connection's queue with the connection's identity, so code can tell whether it runs there.
    private static let queueKey = DispatchSpecificKey<ObjectIdentifier>()

    init(descriptor: Int32, server: HTTPServer) {
        self.descriptor = descriptor
        self.server = server
        self.queue = DispatchQueue(label: "tensor-service.connection")
        let configuration = server.configuration
        machine = ConnectionStateMachine(
            now: Self.now(), readTimeout: configuration.readTimeout, idleTimeout: configuration.idleTimeout)
        decoder = HTTPRequestDecoder(
            limits: .init(maxHeadBytes: configuration.maxHeadBytes, maxBodyBytes: configuration.maxBodyBytes))
        tls = configuration.tls.flatMap { TLSSession(context: $0, descriptor: descriptor) }
        queue.setSpecific(key: Self.queueKey, value: ObjectIdentifier(self))
    }

    /// Starts reading. Called once, right after accept.
    func start() {
        queue.async { [self] in
            let read = DispatchSource.makeReadSource(fileDescriptor: descriptor, queue: queue)
            read.setEventHandler { [unowned self] in handleReadable() }
            read.setCancelHandler { [self] in sourceCancelled() }
            let write = DispatchSource.makeWriteSource(fileDescriptor: descriptor, queue: queue)
            write.setEventHandler { [unowned self] in flush() }
            write.setCancelHandler { [self] in sourceCancelled() }
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.setEventHandler { [unowned self] in handleTimer() }
            readSource = read
            writeSource = write
            self.timer = timer
            read.resume()
            timer.resume()
            rearmTimer()
        }
    }

    /// SIGTERM: finish a request whose head has arrived, close otherwise.
    func beginDrain() {
        queue.async { [self] in
            guard !isClosing else { return }
            if machine.beginDrain() == .closeNow { close() }
        }
    }

    /// Closes at once, whatever is in flight (the end of the shutdown grace).
    func forceClose() {
        queue.async { [self] in close() }
    }

    // MARK: - Reading

    private func handleReadable() {
        dispatchPrecondition(condition: .onQueue(queue))
        guard advanceHandshake() else { return }
        while !isClosing && !isReadSuspended {
            let result: IOResult<Int>
            do {
                if lingerDeadline != nil {
                    result = try readIntoInput()
                    if case .done(let count) = result, count > 0 { input.consume(input.readableCount) }
                } else if input.isEmpty, let window = decoder.directBodyWindow {
                    result = try receive(into: window)
                    if case .done(let count) = result, count > 0 { decoder.directBodyFilled(count) }
                } else {
                    result = try readIntoInput()
                }
            } catch {
                server.logger.debug("read failed", metadata: ["error": "\(error)"])
                close()
                return
            }
            switch result {
            case .wouldBlock:
                return
            case .done(0):
                close()
                return
            case .done(let count):
                server.recordReceived(count)
                if lingerDeadline == nil {
                    machine.bytesArrived(now: Self.now())
                    processInput()
                }
            }
        }
    }

    private func readIntoInput() throws(SystemError) -> IOResult<Int> {
        let space = input.writable(minimum: Self.readChunkBytes)
        let result = try receive(into: UnsafeMutableRawBufferPointer(rebasing: space.prefix(Self.readChunkBytes)))
        if case .done(let count) = result { input.commit(count) }
        return result
    }

    /// Reads plain bytes from the socket, through TLS when the port speaks it; `.done(0)` is the end of the stream.
    private func receive(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        guard let tls else { return try systemCall("read") { read(descriptor, buffer.baseAddress, buffer.count) } }
        switch tls.read(into: buffer) {
        case .done(let count): return .done(count)
        case .wantRead: return .wouldBlock
        case .wantWrite:
            setWriting(true)
            return .wouldBlock
        case .closed: return .done(0)
        case .failed(let why):
            server.logger.debug("TLS read failed", metadata: ["error": "\(why)"])
            throw SystemError(code: EPROTO, call: "SSL_read")
        }
    }

    /// Drives a TLS handshake on whichever readiness arrives; true once application data can flow. A failed
    /// handshake (plain HTTP on the TLS port, a broken client) closes the connection; a stalled one meets the read
    /// timeout like any silent connection.
    private func advanceHandshake() -> Bool {
        guard let tls, !tls.isHandshakeComplete, !isClosing else { return !isClosing }
        switch tls.handshake() {
        case .done:
            setWriting(false)
            return true
        case .wantRead:
            setWriting(false)
        case .wantWrite:
            setWriting(true)
        case .closed, .failed:
            close()
        }
        return false
    }

    /// Decodes what the input holds: heads are checked and admitted, a whole request goes to the handler.
    private func processInput() {
        dispatchPrecondition(condition: .onQueue(queue))
        while !isClosing {
            switch machine.phase {
            case .processing, .writing, .closed: return
            case .waiting, .receivingHead, .receivingBody: break
            }
            if !input.isEmpty { machine.bytesArrived(now: Self.now()) }
            let event: HTTPRequestDecoder.Event?
            do {
                event = try decoder.next(from: &input)
            } catch {
                respond(server.handler.errorResponse(for: error, head: currentHead), keepAlive: false)
                return
            }
            if let received = decoder.chunkedBodyByteCount, !reserveBodyGrowth(to: received) { return }
            guard let event else {
                // A drain reads what was pipelined before it (to answer 503), but drops a partial request.
                if machine.isDraining && !isRequestInFlight && !hasUnreadBytes { close() } else { rearmTimer() }
                return
            }
            switch event {
            case .head(let head):
                currentHead = head
                machine.headReceived()
                if machine.isDraining {
                    respond(server.handler.drainingResponse(), keepAlive: false)
                    return
                }
                // Only a request with a body is prepared from its head: without one there is nothing to save by it.
                preparedContext = nil
                if head.framing != .none {
                    switch server.handler.prepare(head) {
                    case .answer(let early):
                        respond(early, keepAlive: false)
                        return
                    case .proceed(let context):
                        preparedContext = context
                    }
                }
                guard server.budget.reserve(head.declaredBodyBytes) else {
                    let error = HTTPRequestError.overloaded(inflightLimit: server.budget.limit)
                    respond(server.handler.errorResponse(for: error, head: head), keepAlive: false)
                    return
                }
                reservedBytes = head.declaredBodyBytes
                decoder.beginBody(reusing: takeReusableBody())
                if head.expectsContinue && input.isEmpty {
                    outbound.append(OutboundSegment(segment: .bytes(ResponseHeadWriter.continueHead)))
                    flush()
                }
            case .request(let request):
                if request.head.framing == .chunked && !reserveBodyGrowth(to: request.body.count) { return }
                if request.body.capacity <= Self.maxReusableBodyBytes { reusableBody = request.body }
                machine.requestComplete()
                rearmTimer()
                setReading(false)
                dispatchToHandler(request)
                return
            }
        }
    }

    /// A chunked body declares no size, so it draws on the in-flight budget as it grows; past the budget the client
    /// gets 503 and the connection closes. False when that answer was given.
    private func reserveBodyGrowth(to bodyBytes: Int) -> Bool {
        guard bodyBytes > reservedBytes else { return true }
        guard server.budget.reserve(bodyBytes - reservedBytes) else {
            let error = HTTPRequestError.overloaded(inflightLimit: server.budget.limit)
            respond(server.handler.errorResponse(for: error, head: currentHead), keepAlive: false)
            return false
        }
        reservedBytes = bodyBytes
        return true
    }

    /// The kept body, if the handler and the answer have let go of it (a worker may still hold it for a moment).
    private func takeReusableBody() -> ByteBuffer? {
        defer { reusableBody = nil }
        return isKnownUniquelyReferenced(&reusableBody) ? reusableBody : nil
    }

    /// The request belongs to the handler or its answer is being written: the socket is not read meanwhile.
    private var isRequestHandedOff: Bool {
        switch machine.phase {
        case .processing, .writing, .closed: true
        default: false
        }
    }

    /// Bytes the client has sent that this connection has not read yet (in the kernel, or decrypted by OpenSSL).
    private var hasUnreadBytes: Bool {
        if let tls, tls.hasPendingBytes { return true }
        var count: Int32 = 0
        return ioctl(descriptor, UInt(FIONREAD), &count) == 0 && count > 0
    }

    private var isRequestInFlight: Bool {
        switch machine.phase {
        case .receivingBody, .processing, .writing: true
        default: false
        }
    }

    private func dispatchToHandler(_ request: consuming HTTPRequest) {
        let context = preparedContext
        preparedContext = nil
        server.handler.handle(request, context: context) { [self] response in
            // From a worker, a small answer is written on the worker's thread inside `queue.sync`: the queue is idle
            // while its request is away, so this costs no thread wake-up, where `async` would wake a Dispatch thread
            // for every request. On the queue itself (an answer made without a worker) `sync` would deadlock, and
            // calling in directly would recurse through pipelined requests; a large answer is written from the queue
            // so a worker never spends its time on socket writes.
            if DispatchQueue.getSpecific(key: Self.queueKey) != ObjectIdentifier(self)
                && response.bodyCount <= Self.maxBodyBytesWrittenFromWorker
            {
                queue.sync { self.finishRequest(response) }
            } else {
                queue.async { self.finishRequest(response) }
            }
        }
    }

    private func finishRequest(_ response: HTTPResponse) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard !isClosing else { return }
        var keepAlive = currentHead?.wantsKeepAlive ?? false
        // While draining, keep the connection only to answer requests already pipelined behind this one with 503.
        if machine.isDraining && input.isEmpty && !hasUnreadBytes { keepAlive = false }
        respond(response, keepAlive: keepAlive)
    }

    // MARK: - Writing

    private func respond(_ response: HTTPResponse, keepAlive: Bool) {
        dispatchPrecondition(condition: .onQueue(queue))
        let head = ResponseHeadWriter.head(
            for: response, keepAlive: keepAlive, clientMinorVersion: currentHead?.versionMinor ?? 1)
        server.recordSent(head.count + response.bodyCount)
        machine.responseStarted(now: Self.now())
        var segments = [OutboundSegment(segment: .bytes(head))]
        segments += response.body.filter { $0.count > 0 }.map { OutboundSegment(segment: $0) }
        segments[segments.count - 1].completesResponse = keepAlive
        outbound += segments
        setReading(false)
        rearmTimer()
        flush()
    }

    /// Writes as much as the socket takes, in one `sendmsg` per round; the write source resumes on a full buffer.
    private func flush() {
        dispatchPrecondition(condition: .onQueue(queue))
        if let tls, !tls.isHandshakeComplete {
            if advanceHandshake() { handleReadable() }
            return
        }
        var finished: [Bool] = []
        while !isClosing && !outbound.isEmpty {
            let result: IOResult<Int>
            do {
                result = try sendOutbound()
            } catch {
                server.logger.debug("write failed", metadata: ["error": "\(error)"])
                close()
                return
            }
            guard case .done(var written) = result else {
                setWriting(true)
                break
            }
            machine.wrote(now: Self.now())
            while written > 0, !outbound.isEmpty {
                let step = min(outbound[0].segment.count - outbound[0].offset, written)
                outbound[0].offset += step
                written -= step
                guard outbound[0].offset == outbound[0].segment.count else { break }
                if let keepAlive = outbound[0].completesResponse { finished.append(keepAlive) }
                outbound.removeFirst()
            }
        }
        if outbound.isEmpty { setWriting(false) }
        for keepAlive in finished { responseWritten(keepAlive: keepAlive) }
    }

    private func sendOutbound() throws(SystemError) -> IOResult<Int> {
        if let tls { return try sendThroughTLS(tls) }
        var vectors: [iovec] = []
        let result = withIOVectors(outbound.prefix(16), &vectors) { vectors in
            vectors.withUnsafeMutableBufferPointer { vectors in
                var message = msghdr()
                message.msg_iov = vectors.baseAddress
                message.msg_iovlen = vectors.count
                return Result { () throws(SystemError) in
                    try systemCall("sendmsg") { sendmsg(descriptor, &message, Int32(MSG_NOSIGNAL)) }
                }
            }
        }
        return try result.get()
    }

    /// TLS has no gather write: the first unsent segment goes out as TLS records.
    private func sendThroughTLS(_ tls: TLSSession) throws(SystemError) -> IOResult<Int> {
        let item = outbound[0]
        let progress: TLSSession.Progress
        switch item.segment {
        case .bytes(let bytes):
            progress = bytes.withUnsafeBytes { tls.write(UnsafeRawBufferPointer(rebasing: $0[item.offset...])) }
        case .buffer(let buffer, let range):
            progress = tls.write(UnsafeRawBufferPointer(start: buffer.base + range.lowerBound + item.offset, count: range.count - item.offset))
        }
        switch progress {
        case .done(let count): return .done(count)
        case .wantRead, .wantWrite: return .wouldBlock
        case .closed: throw SystemError(code: EPIPE, call: "SSL_write")
        case .failed: throw SystemError(code: EPROTO, call: "SSL_write")
        }
    }

    /// Builds one iovec per segment inside nested pointer scopes, so no pointer outlives its `withUnsafeBytes`.
    private func withIOVectors<Value>(
        _ items: ArraySlice<OutboundSegment>, _ vectors: inout [iovec], _ body: (inout [iovec]) -> Value
    ) -> Value {
        guard let item = items.first else { return body(&vectors) }
        switch item.segment {
        case .bytes(let bytes):
            return bytes.withUnsafeBytes { raw in
                vectors.append(iovec(
                    iov_base: UnsafeMutableRawPointer(mutating: raw.baseAddress! + item.offset),
                    iov_len: raw.count - item.offset))
                return withIOVectors(items.dropFirst(), &vectors, body)
            }
        case .buffer(let buffer, let range):
            vectors.append(iovec(iov_base: buffer.base + range.lowerBound + item.offset, iov_len: range.count - item.offset))
            return withIOVectors(items.dropFirst(), &vectors, body)
        }
    }

    private func responseWritten(keepAlive: Bool) {
        guard !isClosing else { return }
        server.budget.release(reservedBytes)
        reservedBytes = 0
        currentHead = nil
        if machine.responseSent(now: Self.now(), keepAlive: keepAlive) {
            processInput()
            if !isClosing && !isRequestHandedOff { setReading(true) }
            rearmTimer()
        } else {
            beginLingeringClose()
        }
    }

    private func beginLingeringClose() {
        tls?.shutdown()
        shutdown(descriptor, Int32(SHUT_WR))
        lingerDeadline = Self.now() &+ Self.lingerNanoseconds
        setReading(true)
        rearmTimer()
    }

    // MARK: - Timers and closing

    /// Makes sure the timer fires no later than the current deadline.
    ///
    /// Rescheduling a Dispatch timer costs a round trip through Dispatch's event thread, and deadlines move several
    /// times per request, nearly always later. So an armed timer that fires earlier than needed is left alone: when
    /// it fires, `handleTimer` finds nothing due and arms it for the real deadline. A busy keep-alive connection
    /// then reschedules about once per read timeout instead of three times per request.
    private func rearmTimer() {
        guard let timer, !isClosing, let deadline = lingerDeadline ?? machine.deadline else { return }
        if let scheduledDeadline, scheduledDeadline <= deadline { return }
        timer.schedule(deadline: DispatchTime(uptimeNanoseconds: deadline), leeway: .milliseconds(5))
        scheduledDeadline = deadline
    }

    private func handleTimer() {
        dispatchPrecondition(condition: .onQueue(queue))
        scheduledDeadline = nil
        guard !isClosing else { return }
        let now = Self.now()
        if let lingerDeadline {
            if now >= lingerDeadline { close() } else { rearmTimer() }
            return
        }
        switch machine.timerFired(now: now) {
        case .none: rearmTimer()
        case .close: close()
        case .respondTimeoutAndClose:
            respond(server.handler.errorResponse(for: .requestTimeout, head: currentHead), keepAlive: false)
        }
    }

    private func setReading(_ enabled: Bool) {
        guard let readSource, !isClosing, enabled == isReadSuspended else { return }
        if enabled { readSource.resume() } else { readSource.suspend() }
        isReadSuspended = !enabled
        // Bytes OpenSSL already decrypted will not make the socket readable again: go and get them.
        if enabled, let tls, tls.hasPendingBytes { queue.async { [self] in handleReadable() } }
    }

    private func setWriting(_ enabled: Bool) {
        guard let writeSource, !isClosing, enabled == isWriteSuspended else { return }
        if enabled { writeSource.resume() } else { writeSource.suspend() }
        isWriteSuspended = !enabled
    }

    private func close() {
        dispatchPrecondition(condition: .onQueue(queue))
        guard !isClosing else { return }
        if isReadSuspended { readSource?.resume() }
        if isWriteSuspended { writeSource?.resume() }
        isClosing = true
        machine.closed()
        server.budget.release(reservedBytes)
        reservedBytes = 0
        outbound.removeAll()
        readSource?.cancel()
        writeSource?.cancel()
        timer?.cancel()
    }

    /// The descriptor is closed only after both sources watching it are cancelled (Dispatch's rule).
    private func sourceCancelled() {
        cancelledSources += 1
        guard cancelledSources == 2 else { return }
        _ = Glibc.close(descriptor)
        readSource = nil
        writeSource = nil
        timer = nil
        server.connectionClosed(self)
    }

    private static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}
