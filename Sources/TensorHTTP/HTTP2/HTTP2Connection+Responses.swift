import CNghttp2
import TensorMemory

/// The answer side of an HTTP/2 connection: a REST exchange's response, a gRPC call's messages and trailers, and
/// the data source libnghttp2 reads them through. On the loop; answers from workers arrive through `loop.execute`.
extension HTTP2Connection {
    /// Submits the head of an answer, and its body through a data source unless it has none.
    func submitResponse(_ stream: HTTP2Stream, fields: [(String, String)], hasBody: Bool) {
        guard let session, !stream.hasResponded else { return }
        stream.hasResponded = true
        let provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: HTTP2Callbacks.readBody)
        let result = HTTP2HeaderList.with(fields) { list, count in
            // libnghttp2 copies the provider; the stream is found by its id when the data is read.
            guard hasBody else { return nghttp2_submit_response(session, stream.id, list, count, nil) }
            return withUnsafePointer(to: provider) { nghttp2_submit_response(session, stream.id, list, count, $0) }
        }
        if result != 0 { reset(stream, code: NGHTTP2_INTERNAL_ERROR) }
        schedulePump()
    }

    /// More of a stream's answer is queued: a data source waiting for it goes on.
    func resumeData(_ stream: HTTP2Stream) {
        guard let session, stream.isDeferred else { return }
        stream.isDeferred = false
        _ = nghttp2_session_resume_data(session, stream.id)
        schedulePump()
    }

    /// An answer given from inside libnghttp2's callbacks is written by the `pump` already on the stack; any other
    /// needs a pump of its own.
    func schedulePump() {
        guard !isInsideSession else { return }
        pump()
    }

    // MARK: - Answers from the application

    /// A REST exchange's answer: headers, then its body.
    func respond(_ response: HTTPResponse, on id: Int32) {
        guard !isClosed, let stream = streams[id] else {
            if let record = response.record {
                let now = EventLoop.now()
                environment.handler.exchangeFinished(record, timing: ExchangeTiming(firstByte: now, finished: now, isComplete: false))
            }
            return
        }
        stream.record = response.record
        let isHead = stream.method == "HEAD"
        var fields: [(String, String)] = [(":status", String(response.status))]
        for (name, value) in response.headers {
            let lowered = name.asciiLowercased
            // RFC 9113 §8.2.2: connection-specific fields are not sent over HTTP/2.
            if ["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection"].contains(lowered) { continue }
            fields.append((lowered, value))
        }
        if let requestID = response.requestID { fields.append(("x-request-id", requestID.description)) }
        fields.append(("content-length", String(response.bodyCount)))
        fields.append(("date", HTTPDate.now()))
        fields.append(("server", "tensor-service"))
        if let streamed = response.streamedBody {
            if !isHead && streamed.byteCount > 0 {
                // DATA frames as the pieces come: the data source defers while none is queued.
                stream.streamedBody = streamed
                stream.streamedBytesLeft = streamed.byteCount
                submitResponse(stream, fields: fields, hasBody: true)
                return requestPiece(stream)
            }
            streamed.cancel()
        }
        if !isHead { stream.queue(response.body, releasing: nil) }
        stream.isAnswerComplete = true
        if case .rest(_, _, let budget?) = stream.role { stream.releases.append((stream.bytesQueued, budget)) }
        submitResponse(stream, fields: fields, hasBody: !isHead && response.bodyCount > 0)
        if isHead || response.bodyCount == 0 { releaseRestBudget(stream) }
    }

    /// Below this much of a streamed answer queued and not yet framed, the next piece is asked for.
    static let streamedLowWaterBytes = 256 * 1024

    /// Asks a streamed body for its next piece, unless one is being made or enough is queued (`aboutToTake`: bytes
    /// the current DATA frame is taking now).
    func requestPiece(_ stream: HTTP2Stream, aboutToTake: Int = 0) {
        guard let body = stream.streamedBody, !stream.isProducingPiece, stream.streamedBytesLeft > 0,
            stream.bytesQueued - stream.bytesTaken - aboutToTake < Self.streamedLowWaterBytes
        else { return }
        stream.isProducingPiece = true
        let (loop, id) = (loop, stream.id)
        let target = WeakConnection(self)
        body.produceNext { piece in
            loop.execute { target.connection?.pieceArrived(piece, on: id) }
        }
    }

    private func pieceArrived(_ piece: StreamedPiece, on id: Int32) {
        guard !isClosed, let stream = streams[id], stream.streamedBody != nil else { return }
        stream.isProducingPiece = false
        switch piece {
        case .bytes(let bytes) where bytes.count <= stream.streamedBytesLeft:
            stream.queue([.bytes(bytes)], releasing: nil)
            stream.streamedBytesLeft -= bytes.count
            if stream.streamedBytesLeft == 0 {
                stream.streamedBody = nil
                stream.isAnswerComplete = true
                if case .rest(_, _, let budget?) = stream.role { stream.releases.append((stream.bytesQueued, budget)) }
                releaseRestBudget(stream)
            }
            resumeData(stream)
            requestPiece(stream)
        case .bytes:
            environment.logger.warning("a streamed answer overran its content-length")
            stream.streamedBody = nil
            reset(stream, code: NGHTTP2_INTERNAL_ERROR)
            schedulePump()
        case .failed(let why):
            environment.logger.warning("a streamed answer failed", metadata: ["error": "\(why)"])
            stream.streamedBody = nil
            reset(stream, code: NGHTTP2_INTERNAL_ERROR)
            schedulePump()
        }
    }

    func releaseRestBudget(_ stream: HTTP2Stream) {
        for release in stream.releases where release.end <= stream.bytesTaken { release.budget.releaseAll() }
        stream.releases.removeAll { $0.end <= stream.bytesTaken }
    }

    /// One gRPC response message: the headers first if not sent yet, then the length prefix and the message.
    func sendMessage(_ segments: [BodySegment], on id: Int32, compressed: Bool, releasing budget: RequestBudget?) {
        guard !isClosed, let stream = streams[id], stream.trailers == nil else {
            budget?.releaseAll()
            return
        }
        let length = segments.reduce(0) { $0 + $1.count }
        let prefix: [UInt8] = [compressed ? 1 : 0, UInt8(truncatingIfNeeded: length >> 24), UInt8(truncatingIfNeeded: length >> 16),
                               UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)]
        stream.queue([.bytes(prefix)] + segments, releasing: budget)
        if !stream.hasResponded {
            var fields = [(":status", "200"), ("content-type", "application/grpc")]
            if let coding = stream.answerEncoding { fields.append(("grpc-encoding", coding.rawValue)) }
            submitResponse(stream, fields: fields, hasBody: true)
        } else {
            resumeData(stream)
        }
    }

    /// Ends a gRPC call: trailers after its messages, or a trailers-only answer when none was sent.
    func finishCall(_ status: GRPCStatus, on id: Int32) {
        guard !isClosed, let stream = streams[id], stream.trailers == nil else { return }
        stream.trailers = status.trailers
        stream.isAnswerComplete = true
        if !stream.hasResponded {
            submitResponse(stream, fields: [(":status", "200"), ("content-type", "application/grpc")] + status.trailers, hasBody: false)
        } else {
            resumeData(stream)
        }
    }

    /// libnghttp2 asks how much of a stream's answer goes into the next DATA frame: up to `capacity` of what is
    /// queued, sent later by `sendData` from where it lies (NO_COPY).
    func readBody(_ id: Int32, capacity: Int, flags: UnsafeMutablePointer<UInt32>) -> Int {
        guard let stream = streams[id] else { return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue) }
        let count = min(stream.bytesQueued - stream.bytesTaken, capacity)
        if count > 0 { flags.pointee |= NGHTTP2_DATA_FLAG_NO_COPY.rawValue }
        if stream.streamedBody != nil { requestPiece(stream, aboutToTake: count) }
        if stream.bytesQueued - stream.bytesTaken > count { return count }
        guard stream.isAnswerComplete else {
            if count > 0 { return count }
            stream.isDeferred = true
            return Int(NGHTTP2_ERR_DEFERRED.rawValue)
        }
        flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
        if let trailers = stream.trailers, let session {
            flags.pointee |= NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue
            let result = HTTP2HeaderList.with(trailers) { list, listCount in nghttp2_submit_trailer(session, id, list, listCount) }
            if result != 0 { return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue) }
        }
        return count
    }
}
