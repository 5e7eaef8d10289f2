import CNghttp2
import Logging

/// One HTTP/2 connection on one event loop: libnghttp2 frames, compresses headers and keeps flow control; this
/// class feeds it the socket's bytes (`nghttp2_session_mem_recv`), writes what it produces
/// (`nghttp2_session_mem_send`), and carries out what `HTTP2ConnectionMachine` decides.
///
/// Every REST route is served as over HTTP/1.1, by the same `HTTPHandler` (`prepare`, then the exchange with the
/// whole body); a request whose content-type is `application/grpc` is a gRPC call (`HTTPHandler.prepareCall`),
/// whose messages are cut out of its DATA frames as they arrive.
///
/// The connection begins as an `HTTPConnection` that saw the HTTP/2 preface (or ALPN `h2`), which hands over its
/// socket, registration and the bytes read so far, then forwards its events here. All state is confined to `loop`'s
/// thread.
final class HTTP2Connection: @unchecked Sendable {
    // @unchecked Sendable: every stored var is touched only on `loop`'s thread (answers arrive through
    // `loop.execute`); the lets are immutable.
    let loop: EventLoop
    private let descriptor: Int32
    private let registrationID: UInt64
    let environment: ConnectionEnvironment
    private let transport: any ConnectionTransport
    private unowned let owner: HTTPConnection
    let clientAddress: String
    private(set) var session: OpaquePointer?
    private var machine: HTTP2ConnectionMachine
    var streams: [Int32: HTTP2Stream] = [:]
    private var outbound = OutboundQueue()
    private var queuedBytes = 0
    /// Frames `mem_send` produced since the last DATA frame sent from where its bytes lie.
    private var frameBatch: [UInt8] = []
    private var isReadable = true
    private var isWritable = true
    private var hasPeerClosedInput = false
    private(set) var isClosed = false
    private var scheduledDeadline: UInt64?
    /// `environment.readTimeout` in nanoseconds: how long a stream may wait for its request (or a gRPC message).
    let readTimeout: UInt64
    /// Set inside `nghttp2_session_mem_recv`/`mem_send`: answers given meanwhile wait for `pump`.
    private(set) var isInsideSession = false
    /// Frames produced ahead of the socket at most; libnghttp2 keeps the rest (flow control bounds it).
    private static let maxQueuedBytes = 512 * 1024
    private static let stepsPerTurn = 32
    /// Streams a client may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS).
    static let maxConcurrentStreams: UInt32 = 128
    /// Per-stream and connection receive windows: a large tensor flows without waiting for a WINDOW_UPDATE each
    /// 64 KiB, and what a peer may send unasked stays bounded (what arrives is reserved from the in-flight budget
    /// or dropped as it is read).
    static let streamWindowBytes: Int32 = 8 << 20
    static let connectionWindowBytes: Int32 = 64 << 20

    init(
        owner: HTTPConnection, descriptor: Int32, loop: EventLoop, registrationID: UInt64, environment: ConnectionEnvironment,
        transport: any ConnectionTransport, clientAddress: String
    ) {
        self.owner = owner
        self.descriptor = descriptor
        self.loop = loop
        self.registrationID = registrationID
        self.environment = environment
        self.transport = transport
        self.clientAddress = clientAddress
        machine = HTTP2ConnectionMachine(now: EventLoop.now(), idleTimeout: environment.idleTimeout, lingerTimeout: environment.lingerTimeout)
        let (seconds, attoseconds) = environment.readTimeout.components
        readTimeout = UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
    }

    deinit {
        if let session { nghttp2_session_del(session) }
    }

    /// Opens the session, sends our SETTINGS and reads `initial` (the bytes the HTTP/1.1 side already read, preface
    /// included). Called once, on the loop.
    func start(initial: [UInt8]) {
        loop.assertInLoop()
        guard makeSession() else {
            environment.logger.warning("could not start an HTTP/2 session")
            close()
            return
        }
        if !initial.isEmpty {
            initial.withUnsafeBytes { feed($0) }
        }
        pump()
    }

    private func makeSession() -> Bool {
        var callbacks: OpaquePointer?
        guard nghttp2_session_callbacks_new(&callbacks) == 0, let callbacks else { return false }
        defer { nghttp2_session_callbacks_del(callbacks) }
        HTTP2Callbacks.install(in: callbacks)
        var option: OpaquePointer?
        guard nghttp2_option_new(&option) == 0, let option else { return false }
        defer { nghttp2_option_del(option) }
        // Floods: libnghttp2 already bounds queued ACKs (SETTINGS, PING), CONTINUATION frames per header block and
        // the rate of stream resets (CVE-2023-44487); fewer entries in one SETTINGS frame than its default too.
        nghttp2_option_set_max_settings(option, 32)
        var created: OpaquePointer?
        let userData = Unmanaged.passUnretained(self).toOpaque()
        guard nghttp2_session_server_new2(&created, callbacks, userData, option) == 0, let created else { return false }
        session = created
        var settings = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue), value: Self.maxConcurrentStreams),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: UInt32(Self.streamWindowBytes)),
            // Large DATA frames: fewer frame headers and callbacks for a large tensor (their payload is never
            // buffered whole: it is handed over as it arrives).
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_FRAME_SIZE.rawValue), value: 1 << 20),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue), value: UInt32(environment.limits.maxHeadBytes)),
        ]
        guard nghttp2_submit_settings(created, UInt8(NGHTTP2_FLAG_NONE.rawValue), &settings, settings.count) == 0 else { return false }
        _ = nghttp2_session_set_local_window_size(created, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, Self.connectionWindowBytes)
        return true
    }

    // MARK: - Events (forwarded by the owner)

    func handleEvents(_ events: EventSet) {
        guard !isClosed else { return }
        if !events.isDisjoint(with: [.error, .hangup]) {
            apply(machine.handle(.transportEnded))
            return
        }
        if events.contains(.readHangup) { hasPeerClosedInput = true }
        if !events.isDisjoint(with: [.readable, .readHangup]) || !transport.tracksReadinessExactly { isReadable = true }
        if events.contains(.writable) || !transport.tracksReadinessExactly { isWritable = true }
        pump()
    }

    func handleTimer(deadline: UInt64) {
        guard !isClosed, deadline == scheduledDeadline else { return }
        scheduledDeadline = nil
        let now = EventLoop.now()
        expireStalledReads(now: now)
        apply(machine.handle(.timerFired(now: now)))
        pump()
    }

    /// SIGTERM: GOAWAY, finish the streams open, refuse new ones.
    func beginDrain() {
        guard !isClosed else { return }
        apply(machine.handle(.drain(now: EventLoop.now(), openStreams: streams.count)))
        pump()
    }

    func forceClose() { close() }

    private func apply(_ action: HTTP2ConnectionMachine.Action) {
        switch action {
        case .none:
            break
        case .sendGoAway:
            if let session {
                _ = nghttp2_submit_goaway(
                    session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nghttp2_session_get_last_proc_stream_id(session),
                    NGHTTP2_NO_ERROR.rawValue, nil, 0)
            }
        case .close:
            close()
        }
        rearmTimer()
    }

    // MARK: - The pump

    /// Reads, feeds libnghttp2, writes what it produced, until the socket would block both ways.
    func pump() {
        var stepsLeft = Self.stepsPerTurn
        while !isClosed {
            guard stepsLeft > 0 else {
                loop.execute { [self] in pump() }
                return
            }
            stepsLeft -= 1
            if !transport.isReady {
                guard advanceHandshake() else { return }
            }
            produceFrames()
            var progressed = false
            if !outbound.isEmpty && isWritable {
                writeOutbound()
                progressed = true
            }
            if isClosed { return }
            if (isReadable || transport.hasBufferedInput) && queuedBytes < Self.maxQueuedBytes {
                readOnce()
                progressed = true
            }
            if isClosed { return }
            if let session, nghttp2_session_want_read(session) == 0, nghttp2_session_want_write(session) == 0, outbound.isEmpty {
                apply(machine.handle(.sessionFinished))
                return
            }
            if !progressed { return }
        }
    }

    private func advanceHandshake() -> Bool {
        switch transport.advanceHandshake() {
        case .ready: return true
        case .needsReadable: isReadable = false
        case .needsWritable: isWritable = false
        case .failed: close()
        }
        return false
    }

    private func readOnce() {
        let readBuffer = loop.scratch
        let result: TransportRead
        do {
            result = try transport.read(into: readBuffer)
        } catch {
            environment.logger.debug("read failed", metadata: ["error": "\(error)"])
            apply(machine.handle(.transportEnded))
            return
        }
        switch result {
        case .wouldBlock:
            isReadable = false
        case .end:
            apply(machine.handle(.transportEnded))
        case .bytes(let count):
            environment.statistics.recordReceived(count)
            if count < readBuffer.count && transport.tracksReadinessExactly && !hasPeerClosedInput { isReadable = false }
            feed(UnsafeRawBufferPointer(rebasing: readBuffer[0..<count]))
        }
    }

    /// Hands bytes to libnghttp2, whose callbacks run from inside it. A fatal error (a bad preface, a flood) ends the
    /// session: what it queued (a GOAWAY) is still written, then the connection closes.
    private func feed(_ bytes: UnsafeRawBufferPointer) {
        guard let session, let base = bytes.baseAddress else { return }
        isInsideSession = true
        let result = nghttp2_session_mem_recv(session, base.assumingMemoryBound(to: UInt8.self), bytes.count)
        isInsideSession = false
        if result < 0 {
            environment.logger.debug("HTTP/2 session ended", metadata: ["error": "\(String(cString: nghttp2_strerror(Int32(result))))"])
            _ = nghttp2_session_terminate_session(session, NGHTTP2_PROTOCOL_ERROR.rawValue)
            produceFrames()
            flushThenClose()
        }
    }

    /// Takes the frames libnghttp2 has ready into the outbound queue, up to `maxQueuedBytes` ahead of the socket.
    /// Control frames and headers come back from `mem_send` as bytes; a DATA frame's payload never does: its header
    /// goes into the queue with the answer's own segments (`sendData`), so a tensor is not copied into frames.
    private func produceFrames() {
        guard let session else { return }
        isInsideSession = true
        while queuedBytes + frameBatch.count < Self.maxQueuedBytes {
            var data: UnsafePointer<UInt8>?
            let count = nghttp2_session_mem_send(session, &data)
            if count < 0 {
                isInsideSession = false
                environment.logger.debug("HTTP/2 send failed", metadata: ["error": "\(String(cString: nghttp2_strerror(Int32(count))))"])
                close()
                return
            }
            guard count > 0, let data else { break }
            frameBatch.append(contentsOf: UnsafeBufferPointer(start: data, count: count))
        }
        isInsideSession = false
        enqueueFrameBatch()
    }

    private func enqueueFrameBatch() {
        guard !frameBatch.isEmpty else { return }
        queuedBytes += frameBatch.count
        environment.statistics.recordSent(frameBatch.count)
        outbound.enqueueInterim(frameBatch)
        frameBatch = []
        frameBatch.reserveCapacity(4096)
    }

    /// libnghttp2 sends a DATA frame whose payload the data source left where it lies: its 9-byte header, then
    /// `length` bytes of the stream's answer, as segments of their own buffers.
    func sendData(on id: Int32, header: UnsafePointer<UInt8>, length: Int) -> Int32 {
        guard let stream = streams[id] else { return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue }
        enqueueFrameBatch()
        let segments = [.bytes(Array(UnsafeBufferPointer(start: header, count: 9)))] + stream.takeSegments(length)
        queuedBytes += 9 + length
        environment.statistics.recordSent(9 + length)
        outbound.enqueue(segments)
        return 0
    }

    private func writeOutbound() {
        while !isClosed && !outbound.isEmpty {
            let written: Int?
            do {
                written = try transport.write(outbound)
            } catch {
                environment.logger.debug("write failed", metadata: ["error": "\(error)"])
                apply(machine.handle(.transportEnded))
                return
            }
            guard let written else {
                isWritable = false
                return
            }
            _ = outbound.consume(written)
            queuedBytes -= written
        }
    }

    /// After a fatal session error: the last frames go out if the socket takes them now, then the socket closes.
    private func flushThenClose() {
        if isWritable { writeOutbound() }
        close()
    }

    // MARK: - Timers and closing

    /// The connection's own deadline (idle, linger) or the earliest stream's read deadline, whichever comes first.
    func rearmTimer() {
        let readDeadline = streams.values.lazy.compactMap(\.readingSince).min().map { $0 &+ readTimeout }
        guard !isClosed, let deadline = [machine.deadline, readDeadline].compactMap({ $0 }).min() else { return }
        if let scheduledDeadline, scheduledDeadline <= deadline { return }
        loop.scheduleTimer(for: registrationID, at: deadline)
        scheduledDeadline = deadline
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        _ = machine.handle(.transportEnded)
        let open = streams
        streams.removeAll()
        for stream in open.values { end(stream, isComplete: false) }
        outbound.removeAll()
        loop.deregister(registrationID)
        Syscall.close(descriptor)
        environment.connectionClosed(owner)
    }

    // MARK: - Streams (called from the callbacks, on the loop)

    var isDraining: Bool { machine.isDraining }

    func streamOpened(_ stream: HTTP2Stream) {
        streams[stream.id] = stream
        apply(machine.handle(.streamOpened))
    }

    func streamClosed(_ id: Int32, errorCode: UInt32) {
        guard let stream = streams.removeValue(forKey: id) else { return }
        end(stream, isComplete: errorCode == NGHTTP2_NO_ERROR.rawValue && stream.isAnswerComplete && !stream.hasOutgoingBytes)
        apply(machine.handle(.streamClosed(now: EventLoop.now(), openStreams: streams.count)))
    }

    /// A stream is over: its call learns it, its budgets come back, its exchange is counted and logged.
    private func end(_ stream: HTTP2Stream, isComplete: Bool) {
        if case .grpc(let call, _, _) = stream.role, !(isComplete && stream.trailers != nil) { call.cancelled() }
        stream.releaseAll()
        if let record = stream.record {
            stream.record = nil
            environment.handler.exchangeFinished(
                record, timing: ExchangeTiming(firstByte: stream.firstByte, finished: EventLoop.now(), isComplete: isComplete))
        }
    }

    /// A stream's answer has ended (END_STREAM sent) before its request did: RFC 9113 §8.1 asks the client to stop
    /// sending with RST_STREAM(NO_ERROR), so a body nobody will read stops costing bandwidth and the stream its slot.
    func answerEnded(on id: Int32) {
        guard let stream = streams[id], !stream.isInputEnded else { return }
        reset(stream, code: NGHTTP2_NO_ERROR)
    }

    /// Ends the session with GOAWAY once what is queued is written (a peer stalled inside a header block, which
    /// leaves no other stream of the connection able to go on).
    func terminate() {
        guard let session else { return }
        _ = nghttp2_session_terminate_session(session, NGHTTP2_NO_ERROR.rawValue)
        schedulePump()
    }

    /// Resets one stream (its request broke a limit after its answer began, or its call failed in the transport).
    func reset(_ stream: HTTP2Stream, code: nghttp2_error_code) {
        guard let session else { return }
        _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), stream.id, code.rawValue)
    }
}
