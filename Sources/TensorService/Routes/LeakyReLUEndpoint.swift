import TensorCodecs
import TensorHTTP
import TensorKernels

/// `POST /ops/leaky_relu`: inflate, decode, compute in place, encode in the negotiated format, maybe gzip.
package struct LeakyReLUEndpoint: Sendable {
    /// What the head alone decides, checked before the body is read (so `Expect: 100-continue` gets it early).
    package struct Plan: Sendable {
        var requestFormat: TensorFormat
        var answerFormat: TensorFormat
        var querySlope: Double?
        var requestCoding: ContentCoding?
        var answerCoding: ContentCoding?
    }

    let pool: WorkerPool
    let maxBodyBytes: Int
    let metrics: ServiceMetrics

    /// The media types a request may use, for error messages.
    private static let supported = TensorFormat.allCases.map(\.mediaType).joined(separator: ", ")

    package static func plan(for head: HTTPRequestHead) throws(ServiceError) -> Plan {
        guard let contentType = head.headers["content-type"] else {
            throw .unsupportedMediaType("A POST to /ops/leaky_relu needs a Content-Type: one of \(supported).")
        }
        guard let requestFormat = TensorFormat(contentType: contentType) else {
            throw .unsupportedMediaType("Content-Type \(contentType.prefix(100)) is not supported; use one of \(supported).")
        }
        let requestCoding = try RequestCoding.parse(head.headers)
        var answerFormat = requestFormat
        if let accept = head.headers["accept"] {
            // The request's own format wins ties: a client sending .npy and accepting anything gets .npy back.
            let candidates = [requestFormat] + TensorFormat.allCases.filter { $0 != requestFormat }
            guard let chosen = ContentNegotiator.choose(candidates, mediaType: \.mediaType, accept: accept) else {
                throw .notAcceptable("None of \(supported) is acceptable to the request's Accept header.")
            }
            answerFormat = chosen
        }
        return Plan(
            requestFormat: requestFormat, answerFormat: answerFormat, querySlope: try querySlope(head),
            requestCoding: requestCoding, answerCoding: AcceptEncoding.preferredCoding(head.headers["accept-encoding"]))
    }

    private static func querySlope(_ head: HTTPRequestHead) throws(ServiceError) -> Double? {
        let query = QueryParameters(head.query)
        // A misspelt parameter must not fall back to the default slope silently.
        if let unknown = query.names.sorted().first(where: { $0 != "negative_slope" }) {
            let lowered = unknown.lowercased()
            let hint = ["slope", "alpha", "negative"].contains { lowered.contains($0) } ? "; the slope is negative_slope" : ""
            throw .badRequest(
                "unknown-parameter",
                "unknown query parameter \"\(unknown.prefix(40))\"; the only parameter is negative_slope\(hint).")
        }
        guard let text = query["negative_slope"] else { return nil }
        guard let value = Double(text), value.isFinite else {
            throw .badRequest("invalid-negative-slope", "negative_slope \"\(text.prefix(40))\" in the query is not a finite number.")
        }
        return value
    }

    /// Runs on a worker thread. The body is computed where it lies unless it had to be inflated first.
    package func run(_ request: HTTPRequest, plan: Plan) throws -> HTTPResponse {
        let admit = request.admission
        let body = try RequestCoding.inflate(request.body, coding: plan.requestCoding, limit: maxBodyBytes, admit: admit)
        var (tensor, bodySlope) = try TensorDecoder.decode(
            body, format: plan.requestFormat, headers: request.head.headers, admit: admit)
        tensor.compute(slope: try Self.resolveSlope(query: plan.querySlope, body: bodySlope), pool: pool)
        metrics.recordElements(tensor.dtype, count: tensor.count)
        var response = try tensor.response(in: plan.answerFormat, admit: admit)
        response.headers.append((name: "Vary", value: "Accept, Accept-Encoding"))
        AcceptEncoding.compress(&response, coding: plan.answerCoding, admit: admit)
        return response
    }

    static func resolveSlope(query: Double?, body: Double?) throws(ServiceError) -> Double {
        if let query, let body, query != body {
            throw .badRequest(
                "conflicting-negative-slope", "negative_slope is \(query) in the query but \(body) in the body; send one.")
        }
        return query ?? body ?? LeakyReLU.defaultSlope
    }
}
