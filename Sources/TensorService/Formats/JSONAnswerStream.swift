import Synchronization
import TensorCodecs
import TensorHTTP
import TensorMemory

/// A JSON answer too large to hold whole beside its tensor, made piece by piece on the worker pool while it is sent,
/// and compressed piece by piece when the client takes a coding.
///
/// Its Content-Length is counted first, by making every piece once and keeping none (writing and deflating are
/// deterministic): every answer keeps its Content-Length, and a large answer costs a second pass instead of memory
/// for all of its text. The room for the pieces in flight is reserved from the request's budget when the stream is
/// made: the connection holds at most two pieces unsent and asks for one more at a time, so three pieces' worth
/// bounds what it holds beside the tensor. Everything is given back with the request's budget when the answer is
/// written.
final class JSONAnswerStream: StreamedBody, @unchecked Sendable {
    // @unchecked Sendable: `pieces`, `tensor` and `deflater` are touched only by `produceNext`'s job, and the
    // transport asks for one piece at a time (the next after the last was delivered), which orders those jobs;
    // `cancel`, from the connection's loop, only sets the atomic flag.
    private var pieces: JSONTensorPieces
    /// Let go of once the last piece is made.
    private var tensor: TensorBuffer?
    private var deflater: StreamingDeflater?
    private let pool: WorkerPool
    private let isCancelled = Atomic(false)
    let byteCount: Int

    /// Elements per piece: 16 Ki keeps a float64 piece (and its compressed copy) near 400 KB, a few pieces in flight
    /// small beside the tensor, and the cost of handing a piece over (a job, a loop turn) small beside writing it.
    static let elementsPerPiece = 16 * 1024
    /// Pieces held at most: two queued on the connection and one being made.
    static let piecesInFlight = 3

    /// The answer for `tensor` with the JSON text of `shape` around its data, or nil when it cannot be pieced (a
    /// bare number, no elements). `admit` is asked for the room of the pieces in flight (and of their compressed
    /// copies) before anything is made; a refusal throws as the whole answer's would.
    static func response(
        for tensor: inout TensorBuffer, _ shape: StreamedJSON, coding: ContentCoding?, pool: WorkerPool, admit: MemoryAdmission
    ) throws(CodecError) -> HTTPResponse? {
        guard
            let pieces = JSONTensorPieces(
                dtype: tensor.dtype, shape: tensor.shape, layout: shape.isFlat ? .flat : tensor.layout, header: shape.header,
                footer: shape.footer, elementsPerPiece: elementsPerPiece)
        else { return nil }
        // One deflater counts, the other sends; without memory for both the answer goes out plain.
        var deflaters = coding.map { (StreamingDeflater(coding: $0), StreamingDeflater(coding: $0)) }
        if let pair = deflaters, pair.0 == nil || pair.1 == nil { deflaters = nil }
        let coding = deflaters == nil ? nil : coding
        let perPiece = pieces.maxPieceBytes + (coding == nil ? 0 : StreamingDeflater.bound(for: pieces.maxPieceBytes))
        // zlib's own state and the output buffer of the piece being compressed come on top, once.
        let compressing = coding == nil ? 0 : StreamingDeflater.workingBytes
        try CodecError.admitting(perPiece * piecesInFlight + compressing, for: "the JSON answer's pieces", admit)
        try tensor.makeLittleEndianCOrder(admit: admit)
        let byteCount = tensor.withBytes { data in Self.count(pieces, data: data, deflater: deflaters?.0) }
        let stream = JSONAnswerStream(pieces: pieces, tensor: tensor, deflater: deflaters?.1, byteCount: byteCount, pool: pool)
        var response = HTTPResponse(status: 200, headers: shape.fields)
        if let coding { response.headers.append((name: "Content-Encoding", value: coding.rawValue)) }
        response.streamedBody = stream
        return response
    }

    private init(pieces: JSONTensorPieces, tensor: TensorBuffer, deflater: StreamingDeflater?, byteCount: Int, pool: WorkerPool) {
        self.pieces = pieces
        self.tensor = tensor
        self.deflater = deflater
        self.byteCount = byteCount
        self.pool = pool
    }

    /// The answer's size: every piece made (and compressed) once, one at a time, and let go.
    private static func count(_ pieces: JSONTensorPieces, data: UnsafeRawBufferPointer, deflater: StreamingDeflater?) -> Int {
        var pieces = pieces
        var total = 0
        while !pieces.isFinished {
            let piece = pieces.nextPiece(data: data)
            total += deflater?.compress(piece, isLast: pieces.isFinished).count ?? piece.count
        }
        return total
    }

    func produceNext(_ deliver: @escaping @Sendable (StreamedPiece) -> Void) {
        // Queued past --max-queue: an answer under way is finished, not cut off, when new requests are refused.
        if pool.submit({ [self] in deliver(makePiece()) }, continuing: true) == .rejected {
            deliver(.failed("the worker pool has stopped"))
        }
    }

    func cancel() {
        isCancelled.store(true, ordering: .relaxed)
    }

    private func makePiece() -> StreamedPiece {
        guard !isCancelled.load(ordering: .relaxed) else { return .failed("the answer was cancelled") }
        guard !pieces.isFinished, let tensor else { return .failed("every piece was made already") }
        var piece = tensor.withBytes { pieces.nextPiece(data: $0) }
        if let deflater { piece = deflater.compress(piece, isLast: pieces.isFinished) }
        if pieces.isFinished { self.tensor = nil }
        return .bytes(piece)
    }
}

/// What a JSON answer looks like around its data, for `JSONAnswerStream`: the text before it (nil: `{"dtype",
/// "shape", "data":`), the text after, whether the data is flat whatever the request's layout, and the answer's
/// header fields.
struct StreamedJSON: Sendable {
    var header: String?
    var footer = "}"
    var isFlat = false
    var fields: [(String, String)] = [("Content-Type", "application/json")]
}
