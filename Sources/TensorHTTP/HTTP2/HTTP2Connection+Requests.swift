import CNghttp2
import TensorMemory

/// The request side of an HTTP/2 connection: headers into a head, the head into a REST exchange or a gRPC call,
/// DATA into the body or into messages. Called from libnghttp2's callbacks, on the loop.
extension HTTP2Connection {
    func beginStream(_ id: Int32) {
        // After GOAWAY libnghttp2 refuses streams above the last one processed; one below it is still served.
        streamOpened(HTTP2Stream(id: id, firstByte: EventLoop.now()))
    }

    /// Hard bound on one header block, far past the head limit (which is answered 431): beyond it the stream is
    /// reset without reading on, so an HPACK bomb costs at most this much.
    static let maxHeaderBlockBytes = 256 * 1024

    func header(on id: Int32, name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) -> Int32 {
        guard let stream = streams[id] else { return 0 }
        stream.headerBytes += name.count + value.count + 32
        if stream.headerBytes > Self.maxHeaderBlockBytes { return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue }
        if stream.headerBytes > environment.limits.maxHeadBytes { stream.isHeadTooLarge = true }
        if stream.isHeadTooLarge { return 0 }
        let valueText = String(decoding: value, as: UTF8.self)
        switch String(decoding: name, as: UTF8.self) {
        case ":method": stream.method = valueText
        case ":path": stream.path = valueText
        case ":authority": stream.authority = valueText
        case ":scheme": break
        // libnghttp2 has checked the names (lowercase, no connection-specific fields, pseudo-fields first).
        case let other: stream.headers.add(lowercasedName: other, value: valueText)
        }
        return 0
    }

    /// The request's headers are whole: decide what the stream is.
    func headersComplete(on id: Int32) {
        guard let stream = streams[id] else { return }
        if stream.headers["host"] == nil && !stream.authority.isEmpty {
            stream.headers.add(lowercasedName: "host", value: stream.authority)
        }
        let framing = declaredFraming(stream)
        let head = stream.makeHead(clientAddress: clientAddress, bodyFraming: framing)
        if stream.isHeadTooLarge {
            return answerEarly(stream, environment.handler.errorResponse(for: .headTooLarge(limit: environment.limits.maxHeadBytes), head: nil))
        }
        if isGRPC(stream) {
            // A call waits for nothing between messages (a stream may idle as long as its client likes).
            stream.readingSince = nil
            return beginCall(stream, head: head)
        }
        if isDraining {
            return answerEarly(stream, environment.handler.drainingResponse(head: head))
        }
        if case .length(let count) = framing, count > environment.limits.maxBodyBytes {
            return answerEarly(stream, environment.handler.errorResponse(for: .bodyTooLarge(limit: environment.limits.maxBodyBytes), head: head))
        }
        switch environment.handler.prepare(head) {
        case .answer(let response):
            answerEarly(stream, response)
        case .proceed(let exchange):
            // A declared body is reserved whole before anything is allocated, then read into one buffer of its size
            // (as over HTTP/1.1): a large tensor is never moved by a growing buffer on its way in.
            stream.role = .rest(exchange: exchange, body: ByteBuffer(capacity: 0), budget: RequestBudget(budget: environment.budget))
            if let error = reserve(head.declaredBodyBytes, for: stream) {
                return answerEarly(stream, environment.handler.errorResponse(for: error, head: head))
            }
            if case .rest(_, let body, _) = stream.role { body.reserve(head.declaredBodyBytes) }
        }
    }

    private func declaredFraming(_ stream: HTTP2Stream) -> BodyFraming {
        if let length = stream.headers["content-length"].flatMap({ Int($0) }), length >= 0 { return .length(length) }
        // RFC 9113 §8.1: without content-length the body is whatever DATA frames carry, like a chunked one.
        return .chunked
    }

    private func isGRPC(_ stream: HTTP2Stream) -> Bool {
        guard let type = stream.headers["content-type"] else { return false }
        return type == "application/grpc" || type.hasPrefix("application/grpc+") || type.hasPrefix("application/grpc;")
    }

    /// Holds budget for a REST body of `bytes`; the error to answer when it has no room.
    private func reserve(_ bytes: Int, for stream: HTTP2Stream) -> HTTPRequestError? {
        guard case .rest(_, _, let budget?) = stream.role else { return nil }
        switch budget.grow(to: bytes) {
        case .granted: return nil
        case .busy: return .overloaded(inflightLimit: environment.budget.limit)
        case .exceedsLimit(let limit): return .exceedsInflightBudget(limit: limit)
        }
    }

    /// Answers from the head; a body still arriving is dropped (the stream's own flow control lets it through).
    private func answerEarly(_ stream: HTTP2Stream, _ response: HTTPResponse) {
        if case .rest(_, _, let budget?) = stream.role { budget.releaseAll() }
        stream.role = .answered
        respond(response, on: stream.id)
    }

    func data(_ bytes: UnsafeRawBufferPointer, on id: Int32) {
        guard let stream = streams[id] else { return }
        switch stream.role {
        case .rest(let exchange, let body, let budget):
            guard body.count + bytes.count <= environment.limits.maxBodyBytes else {
                return answerEarly(stream, environment.handler.errorResponse(for: .bodyTooLarge(limit: environment.limits.maxBodyBytes), head: nil))
            }
            if let error = reserve(body.count + bytes.count, for: stream) {
                return answerEarly(stream, environment.handler.errorResponse(for: error, head: nil))
            }
            body.append(bytes)
            stream.role = .rest(exchange: exchange, body: body, budget: budget)
        case .grpc(let call, var reader, let output):
            let messages: [GRPCMessage]
            do {
                messages = try reader.feed(bytes)
            } catch {
                stream.role = .answered
                call.cancelled()
                finishCall(error, on: id)
                return
            }
            stream.role = .grpc(call: call, reader: reader, output: output)
            if reader.isAtMessageBoundary {
                stream.readingSince = nil
            } else if stream.readingSince == nil || !messages.isEmpty {
                // A message begun (after the last ended, in this chunk or before): its own read timeout starts.
                stream.readingSince = EventLoop.now()
                rearmTimer()
            }
            for message in messages { call.received(message, output: output) }
        case .undecided, .answered:
            break
        }
    }

    func inputEnded(on id: Int32) {
        guard let stream = streams[id], !stream.isInputEnded else { return }
        stream.isInputEnded = true
        stream.readingSince = nil
        switch stream.role {
        case .rest(let exchange, let body, let budget):
            if case .length(let declared) = declaredFraming(stream), declared != body.count {
                return answerEarly(
                    stream,
                    environment.handler.errorResponse(
                        for: .invalidContentLength("\(declared) declared, \(body.count) sent"), head: nil))
            }
            var request = HTTPRequest(head: stream.makeHead(clientAddress: clientAddress, bodyFraming: .length(body.count)), body: body)
            request.budget = budget
            let (loop, streamID) = (loop, id)
            let target = WeakConnection(self)
            exchange.handle(request) { response in
                if loop.isCurrent {
                    target.connection?.respond(response, on: streamID)
                } else {
                    loop.execute { target.connection?.respond(response, on: streamID) }
                }
            }
        case .grpc(let call, let reader, let output):
            guard reader.isAtMessageBoundary else {
                stream.role = .answered
                call.cancelled()
                return finishCall(GRPCStatus(.internalError, "the stream ended inside a message"), on: id)
            }
            call.inputEnded(output: output)
        case .undecided, .answered:
            break
        }
    }

    /// Streams whose input has not arrived within the read timeout are answered as over HTTP/1.1: a REST request
    /// 408, a gRPC message begun DEADLINE_EXCEEDED; once that answer is out, `answerEnded` resets the rest of the
    /// input. A stream already answered is reset; one stalled inside its header block ends the connection.
    func expireStalledReads(now: UInt64) {
        let expired = streams.values.filter { $0.readingSince.map { now >= $0 &+ readTimeout } ?? false }.map(\.id)
        for id in expired {
            // Answering one may pump and close others: only those still open are answered.
            guard let stream = streams[id] else { continue }
            stream.readingSince = nil
            switch stream.role {
            case .grpc(let call, _, _):
                stream.role = .answered
                call.cancelled()
                finishCall(GRPCStatus(.deadlineExceeded, "the message did not arrive whole within the read timeout"), on: stream.id)
            case .rest, .answered:
                if stream.hasResponded {
                    reset(stream, code: NGHTTP2_CANCEL)
                } else {
                    answerEarly(stream, environment.handler.errorResponse(for: .requestTimeout, head: nil))
                }
            case .undecided:
                environment.logger.debug("HTTP/2 header block not finished within the read timeout")
                terminate()
            }
        }
    }

    // MARK: - gRPC

    private func beginCall(_ stream: HTTP2Stream, head: HTTPRequestHead) {
        guard !isDraining else {
            stream.role = .answered
            return finishCall(GRPCStatus(.unavailable, "the server is shutting down; call again elsewhere"), on: stream.id)
        }
        let encoding: ContentCoding?
        switch stream.headers["grpc-encoding"] {
        case nil, "identity": encoding = nil
        case let name?:
            guard let known = ContentCoding(token: name) else {
                stream.role = .answered
                return finishCall(GRPCStatus(.unimplemented, "grpc-encoding \(name.prefix(32)) is not supported; use gzip, deflate or identity"), on: stream.id)
            }
            encoding = known
        }
        switch environment.handler.prepareCall(head) {
        case .reject(let status):
            stream.role = .answered
            finishCall(status, on: stream.id)
        case .call(let call):
            let reader = GRPCMessageReader(maxMessageBytes: environment.limits.maxBodyBytes, encoding: encoding, budget: environment.budget)
            // Answers are compressed as the client compressed its request, when it accepts that coding back:
            // grpc-python advertises gzip and deflate on every call, and compressing every large tensor unasked
            // would cost more CPU than the wire saves on the networks such servers run on.
            let accepted = stream.headers.tokens("grpc-accept-encoding")
            let answerEncoding = encoding.flatMap { accepted.contains($0.rawValue) ? $0 : nil }
            stream.answerEncoding = answerEncoding
            stream.role = .grpc(
                call: call, reader: reader,
                output: GRPCOutput(loop: loop, stream: stream.id, connection: self, encoding: answerEncoding))
        }
    }
}
