import TensorMemory

/// One HTTP/2 stream of a connection: its request as it arrives, what it became (a REST exchange or a gRPC call),
/// and its answer's bytes as libnghttp2 takes them. Touched on the connection's event loop only.
final class HTTP2Stream {
    let id: Int32
    /// When its headers began, for the access log's timing.
    let firstByte: UInt64
    var method = ""
    var path = ""
    var authority = ""
    var headers = HTTPHeaders()
    /// Bytes of header names and values so far; past the head limit the request is refused whole.
    var headerBytes = 0
    var isHeadTooLarge = false
    var role = Role.undecided
    /// The answer's body, in order; `nextSegment`/`offset` say how much libnghttp2 has taken.
    var outgoing: [BodySegment] = []
    var nextSegment = 0
    var offset = 0
    /// Budgets released once the bytes before `end` (counted over everything sent on the stream) have been taken.
    var releases: [(end: Int, budget: RequestBudget)] = []
    var bytesTaken = 0
    var bytesQueued = 0
    /// Headers (or a trailers-only answer) have been submitted.
    var hasResponded = false
    /// The data source returned DEFERRED and waits for `nghttp2_session_resume_data`.
    var isDeferred = false
    /// The answer is complete once `outgoing` is taken: EOF, or for gRPC these trailers.
    var isAnswerComplete = false
    var trailers: [(String, String)]?
    /// The request's END_STREAM arrived.
    var isInputEnded = false
    /// Since when the stream waits for input it cannot do without: its headers and REST body (from the first
    /// byte), or the rest of a gRPC message begun; nil while it waits for nothing (a call between messages, a
    /// request whole). The read timeout runs from here.
    var readingSince: UInt64?
    /// The coding of compressed gRPC answers (sent as `grpc-encoding`), nil for identity.
    var answerEncoding: ContentCoding?
    /// A REST answer's body made while it is sent, until its last piece arrived.
    var streamedBody: (any StreamedBody)?
    /// Bytes of `streamedBody` still to come.
    var streamedBytesLeft = 0
    /// A piece of `streamedBody` is being made.
    var isProducingPiece = false
    /// The answer's record for the access log and metrics, handed to `HTTPHandler.exchangeFinished` when the stream
    /// closes.
    var record: ExchangeRecord?

    enum Role {
        case undecided
        /// A REST request: its body is collected, then handed to the exchange whole.
        case rest(exchange: any PreparedExchange, body: ByteBuffer, budget: RequestBudget?)
        /// Answered from its head already (an error, or a body-less request's early answer); the body is dropped.
        case answered
        case grpc(call: any GRPCCall, reader: GRPCMessageReader, output: GRPCOutput)
    }

    init(id: Int32, firstByte: UInt64) {
        self.id = id
        self.firstByte = firstByte
        readingSince = firstByte
    }

    /// The request's head in the form the HTTP/1.1 handler knows.
    func makeHead(clientAddress: String, bodyFraming: BodyFraming) -> HTTPRequestHead {
        var head = HTTPRequestHead(method: method, target: path, versionMinor: 1, headers: headers, framing: bodyFraming)
        head.clientAddress = clientAddress
        return head
    }

    /// The next `count` bytes of the answer as slices of its segments (a tensor's buffer is referenced, not copied).
    func takeSegments(_ count: Int) -> [BodySegment] {
        var slices: [BodySegment] = []
        var wanted = count
        while wanted > 0 && nextSegment < outgoing.count {
            let segment = outgoing[nextSegment]
            let step = min(segment.count - offset, wanted)
            slices.append(segment.slice(offset..<(offset + step)))
            wanted -= step
            offset += step
            if offset == segment.count {
                // Let go of the segment here: the slices keep what they need.
                outgoing[nextSegment] = .bytes([])
                nextSegment += 1
                offset = 0
            }
        }
        if nextSegment == outgoing.count {
            outgoing.removeAll(keepingCapacity: true)
            nextSegment = 0
        }
        bytesTaken += count - wanted
        while let first = releases.first, first.end <= bytesTaken {
            first.budget.releaseAll()
            releases.removeFirst()
        }
        return slices
    }

    var hasOutgoingBytes: Bool { nextSegment < outgoing.count }

    /// Queues bytes to send; `budget` is released once they have been taken.
    func queue(_ segments: [BodySegment], releasing budget: RequestBudget?) {
        for segment in segments where segment.count > 0 {
            outgoing.append(segment)
            bytesQueued += segment.count
        }
        if let budget { releases.append((bytesQueued, budget)) }
    }

    /// Gives back every budget the stream holds (it closed).
    func releaseAll() {
        for release in releases { release.budget.releaseAll() }
        releases.removeAll()
        outgoing.removeAll()
        if case .rest(_, _, let budget?) = role { budget.end() }
        streamedBody?.cancel()
        streamedBody = nil
    }
}

extension BodySegment {
    /// `range` of this segment's bytes: a range of the same buffer, or a smaller array.
    func slice(_ range: Range<Int>) -> BodySegment {
        switch self {
        case .bytes(let array): range == 0..<array.count ? self : .bytes(Array(array[range]))
        case .buffer(let buffer, let whole): .buffer(buffer, (whole.lowerBound + range.lowerBound)..<(whole.lowerBound + range.upperBound))
        }
    }
}
