import Dispatch
import TensorCodecs
import TensorHTTP
import TensorMemory

/// How every tensor request is answered, whatever its protocol: inflate the body, decode it, compute in place,
/// encode the answer, compress it. What differs between `/ops/leaky_relu` and KServe's infer is only how the body
/// is read and the answer written: values chosen from the head (`LeakyReLUEndpoint.pipeline(for:)`,
/// `KServeEndpoint.pipeline(for:)`).
struct TensorPipeline: Sendable {
    /// A request read: its tensor, the slope to apply, and how to answer once it is computed.
    struct Decoded {
        var tensor: TensorBuffer
        var slope: Double
        /// For a JSON answer: its text around the data, so that an answer the budget cannot hold whole is streamed.
        var streamedJSON: StreamedJSON? = nil
        var encode: (inout TensorBuffer, MemoryAdmission, ParallelPieces) throws -> HTTPResponse
    }

    /// Reads the inflated body; `admit` is asked before the decoder allocates, and a large JSON document may be read
    /// (and its answer written) in pieces on `parallel`, the worker pool.
    typealias Decode = @Sendable (
        _ body: ByteBuffer, _ head: HTTPRequestHead, _ admit: MemoryAdmission, _ parallel: ParallelPieces
    ) throws -> Decoded

    /// The request body's `Content-Encoding` (nil: identity) and the answer's, from `Accept-Encoding`.
    var requestCoding: ContentCoding?
    var answerCoding: ContentCoding?
    var decode: Decode

    /// Runs on a worker thread (or inline for small bodies). The body is computed where it lies unless it had to be
    /// inflated first; a body decoded into a tensor of its own (JSON) is let go at once, memory and budget. A JSON
    /// answer the budget cannot hold whole is streamed in pieces (`JSONAnswerStream`). `timing` gets each stage's
    /// nanoseconds as it ends.
    func run(
        _ request: HTTPRequest, pool: WorkerPool, maxBodyBytes: Int, metrics: ServiceMetrics, timing: inout PipelineTiming
    ) throws -> HTTPResponse {
        var clock = PipelineTiming.now()
        let admit = request.admission
        let body = try RequestCoding.inflate(request.body, coding: requestCoding, limit: maxBodyBytes, admit: admit)
        let parallel = pool.parallelPieces
        var decoded = try decode(body, request.head, admit, parallel)
        Self.releaseBody(request, inflated: body, decoded: decoded.tensor)
        timing.input = PipelineTiming.lap(&clock)
        decoded.tensor.compute(slope: decoded.slope, pool: pool)
        timing.infer = PipelineTiming.lap(&clock)
        metrics.recordElements(decoded.tensor.dtype, count: decoded.tensor.count)
        var response: HTTPResponse
        do {
            response = try decoded.encode(&decoded.tensor, admit, parallel)
            AcceptEncoding.compress(&response, coding: answerCoding, admit: admit)
        } catch let error as CodecError where error.kind == .overBudget || error.kind == .exceedsBudget {
            // Too large to hold whole now: in pieces, made as they are sent.
            guard let shape = decoded.streamedJSON,
                let streamed = try JSONAnswerStream.response(for: &decoded.tensor, shape, coding: answerCoding, pool: pool, admit: admit)
            else { throw error }
            response = streamed
        }
        timing.output = PipelineTiming.lap(&clock)
        return response
    }

    /// Bodies at least this large are let go once decoded into a tensor of their own.
    static let minimumReleasedBodyBytes = 1 << 20

    /// The body (and its inflated copy) once the tensor no longer needs it: a JSON body's tensor is an array of its
    /// own, so its text need not stay beside the tensor and the answer.
    private static func releaseBody(_ request: HTTPRequest, inflated: ByteBuffer, decoded tensor: TensorBuffer) {
        guard case .array = tensor.storage, request.body.count + inflated.count >= minimumReleasedBodyBytes else { return }
        var bytes = request.body.count
        request.body.releaseStorage()
        if inflated !== request.body {
            bytes += inflated.count
            inflated.releaseStorage()
        }
        request.budget?.release(bytes)
    }
}

/// Nanoseconds a tensor request spent in each stage of its pipeline.
struct PipelineTiming: Sendable {
    /// Inflating and decoding the body.
    var input: UInt64 = 0
    /// leaky_relu_.
    var infer: UInt64 = 0
    /// Encoding and compressing the answer.
    var output: UInt64 = 0

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// The time since `clock`, which moves to now.
    static func lap(_ clock: inout UInt64) -> UInt64 {
        let now = now()
        defer { clock = now }
        return now &- clock
    }
}
