import Dispatch
import TensorCodecs
import TensorHTTP

/// How every tensor request is answered, whatever its protocol: inflate the body, decode it, compute in place,
/// encode the answer, compress it. What differs between `/ops/leaky_relu` and KServe's infer is only how the body
/// is read and the answer written: values chosen from the head (`LeakyReLUEndpoint.pipeline(for:)`,
/// `KServeEndpoint.pipeline(for:)`).
struct TensorPipeline: Sendable {
    /// A request read: its tensor, the slope to apply, and how to answer once it is computed.
    struct Decoded {
        var tensor: TensorBuffer
        var slope: Double
        var encode: (inout TensorBuffer, @escaping MemoryAdmission, ParallelPieces) throws -> HTTPResponse
    }

    /// Reads the inflated body; `admit` is asked before the decoder allocates, and a large JSON document may be read
    /// (and its answer written) in pieces on `parallel`, the worker pool.
    typealias Decode = @Sendable (
        _ body: ByteBuffer, _ head: HTTPRequestHead, _ admit: @escaping MemoryAdmission, _ parallel: ParallelPieces
    ) throws -> Decoded

    /// The request body's `Content-Encoding` (nil: identity) and the answer's, from `Accept-Encoding`.
    var requestCoding: ContentCoding?
    var answerCoding: ContentCoding?
    var decode: Decode

    /// Runs on a worker thread (or inline for small bodies). The body is computed where it lies unless it had to be
    /// inflated first. `timing` gets each stage's nanoseconds as it ends.
    func run(
        _ request: HTTPRequest, pool: WorkerPool, maxBodyBytes: Int, metrics: ServiceMetrics, timing: inout PipelineTiming
    ) throws -> HTTPResponse {
        var clock = PipelineTiming.now()
        let admit = request.admission
        let body = try RequestCoding.inflate(request.body, coding: requestCoding, limit: maxBodyBytes, admit: admit)
        let parallel = pool.parallelPieces
        var decoded = try decode(body, request.head, admit, parallel)
        timing.input = PipelineTiming.lap(&clock)
        decoded.tensor.compute(slope: decoded.slope, pool: pool)
        timing.infer = PipelineTiming.lap(&clock)
        metrics.recordElements(decoded.tensor.dtype, count: decoded.tensor.count)
        var response = try decoded.encode(&decoded.tensor, admit, parallel)
        AcceptEncoding.compress(&response, coding: answerCoding, admit: admit)
        timing.output = PipelineTiming.lap(&clock)
        return response
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
