import TensorCodecs
import TensorHTTP
import TensorKernels

/// `POST /ops/leaky_relu`: decode the body, compute in place, answer in the negotiated format.
package struct LeakyReLUEndpoint: Sendable {
    /// What the head alone decides, checked before the body is read (so `Expect: 100-continue` gets it early).
    package struct Plan: Sendable {
        var requestFormat: TensorFormat
        var answerFormat: TensorFormat
        var querySlope: Double?
    }

    let pool: WorkerPool

    package static func plan(for head: HTTPRequestHead) throws(ServiceError) -> Plan {
        let supported = TensorFormat.allCases.map(\.mediaType).joined(separator: ", ")
        guard let contentType = head.headers["content-type"] else {
            throw .unsupportedMediaType("A POST to /ops/leaky_relu needs a Content-Type: one of \(supported).")
        }
        guard let requestFormat = TensorFormat(contentType: contentType) else {
            throw .unsupportedMediaType("Content-Type \(contentType.prefix(100)) is not supported; use one of \(supported).")
        }
        for coding in head.headers.tokens("content-encoding") where coding != "identity" {
            throw .unsupportedMediaType("Content-Encoding \(coding.prefix(32)) is not supported.")
        }
        let candidates = [requestFormat] + TensorFormat.allCases.filter { $0 != requestFormat }
        guard let answerFormat = ContentNegotiator.choose(candidates, mediaType: \.mediaType, accept: head.headers["accept"]) else {
            throw .notAcceptable("None of \(supported) is acceptable to the request's Accept header.")
        }
        return Plan(requestFormat: requestFormat, answerFormat: answerFormat, querySlope: try querySlope(head))
    }

    private static func querySlope(_ head: HTTPRequestHead) throws(ServiceError) -> Double? {
        guard let text = QueryParameters(head.query)["negative_slope"] else { return nil }
        guard let value = Double(text), value.isFinite else {
            throw .badRequest("invalid-negative-slope", "negative_slope \"\(text.prefix(40))\" in the query is not a finite number.")
        }
        return value
    }

    /// Decodes, computes and encodes. Runs on a worker thread; the body is computed where it lies.
    package func run(_ request: HTTPRequest, plan: Plan) throws -> HTTPResponse {
        switch plan.requestFormat {
        case .json:
            let decoded = try JSONTensorReader.read(UnsafeRawBufferPointer(request.body.bytes))
            let slope = try Self.resolveSlope(query: plan.querySlope, body: decoded.negativeSlope)
            var data = decoded.data
            data.withUnsafeMutableBytes { raw in
                guard let base = raw.baseAddress else { return }
                ParallelKernel.apply(decoded.dtype, to: base, count: decoded.count, slope: slope, pool: pool)
            }
            let tensor = OutputTensor(dtype: decoded.dtype, shape: decoded.shape, layout: decoded.layout, storage: .bytes(data))
            return try tensor.response(in: plan.answerFormat)
        case .octetStream:
            let header = try RawTensorHeader(request.head.headers, byteCount: request.body.count)
            let slope = plan.querySlope ?? LeakyReLU.defaultSlope
            ParallelKernel.apply(header.dtype, to: request.body.base, count: header.count, slope: slope, pool: pool)
            let tensor = OutputTensor(
                dtype: header.dtype, shape: header.shape, layout: .nested,
                storage: .buffer(request.body, 0..<request.body.count))
            return try tensor.response(in: plan.answerFormat)
        }
    }

    static func resolveSlope(query: Double?, body: Double?) throws(ServiceError) -> Double {
        if let query, let body, query != body {
            throw .badRequest(
                "conflicting-negative-slope", "negative_slope is \(query) in the query but \(body) in the body; send one.")
        }
        return query ?? body ?? LeakyReLU.defaultSlope
    }
}

/// `X-Tensor-Dtype` and `X-Tensor-Shape` of an octet-stream request, checked against the body's size.
struct RawTensorHeader {
    var dtype: DType
    var shape: [Int]
    var count: Int

    init(_ headers: HTTPHeaders, byteCount: Int) throws(CodecError) {
        dtype = try headers["x-tensor-dtype"].map { name throws(CodecError) in try DTypeName.parse(name) } ?? .float32
        if let value = headers["x-tensor-shape"] {
            shape = try TensorShape.parseHeader(value)
            count = try TensorShape.elementCount(shape)
            let expected = try TensorShape.byteCount(elements: count, itemSize: dtype.itemSize)
            guard expected == byteCount else {
                throw CodecError(.malformed, "X-Tensor-Shape \(shape) of \(dtype.rawValue) needs \(expected) bytes; the body has \(byteCount)")
            }
        } else {
            guard byteCount % dtype.itemSize == 0 else {
                throw CodecError(.malformed, "the body's \(byteCount) bytes are not a whole number of \(dtype.rawValue) elements (\(dtype.itemSize) bytes each)")
            }
            count = byteCount / dtype.itemSize
            shape = [count]
        }
    }
}
