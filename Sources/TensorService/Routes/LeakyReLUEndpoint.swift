import TensorCodecs
import TensorHTTP
import TensorKernels
import TensorMemory

/// `POST /ops/leaky_relu`: the head picks the request's and the answer's formats and codings; the body goes through
/// the `TensorPipeline` like any tensor request.
package enum LeakyReLUEndpoint {
    /// The media types a request may use, for error messages.
    private static let supported = TensorFormat.allCases.map(\.mediaType).joined(separator: ", ")

    /// Everything the head alone decides, checked before the body is read (so `Expect: 100-continue` gets it early).
    static func pipeline(for head: HTTPRequestHead) throws(ServiceError) -> TensorPipeline {
        guard let contentType = head.headers["content-type"] else {
            throw .unsupportedMediaType("A POST to /ops/leaky_relu needs a Content-Type: one of \(supported).")
        }
        guard let requestFormat = TensorFormat(contentType: contentType) else {
            throw .unsupportedMediaType("Content-Type \(contentType.prefix(100)) is not supported; use one of \(supported).")
        }
        let requestCoding = try RequestCoding.parse(head.headers)
        let answerFormat = try answerFormat(head, requestFormat: requestFormat)
        let querySlope = try querySlope(head)
        return TensorPipeline(
            requestCoding: requestCoding, answerCoding: AcceptEncoding.preferredCoding(head.headers["accept-encoding"])
        ) { body, head, admit, parallel in
            let (tensor, bodySlope) = try decode(body, format: requestFormat, headers: head.headers, admit: admit, parallel: parallel)
            return TensorPipeline.Decoded(
                tensor: tensor, slope: try resolveSlope(query: querySlope, body: bodySlope),
                streamedJSON: answerFormat == .json ? StreamedJSON(fields: [("Content-Type", answerFormat.mediaType), vary]) : nil
            ) { tensor, admit, parallel in
                try answer(&tensor, in: answerFormat, admit: admit, parallel: parallel, extraField: vary)
            }
        }
    }

    /// The format `Accept` picks; the request's own format wins ties, so a client sending .npy and accepting anything
    /// gets .npy back.
    private static func answerFormat(_ head: HTTPRequestHead, requestFormat: TensorFormat) throws(ServiceError) -> TensorFormat {
        guard let accept = head.headers["accept"] else { return requestFormat }
        let candidates = [requestFormat] + TensorFormat.allCases.filter { $0 != requestFormat }
        guard let chosen = ContentNegotiator.choose(candidates, mediaType: \.mediaType, accept: accept) else {
            throw .notAcceptable("None of \(supported) is acceptable to the request's Accept header.")
        }
        return chosen
    }

    /// The body's tensor, read in place for raw and `.npy`; a JSON body may also carry `negative_slope`.
    static func decode(
        _ body: ByteBuffer, format: TensorFormat, headers: HTTPHeaders, admit: MemoryAdmission,
        parallel: ParallelPieces = .serial
    ) throws(CodecError) -> (TensorBuffer, bodySlope: Double?) {
        switch format {
        case .json:
            let decoded = try TensorBuffer.decodingJSON(UnsafeRawBufferPointer(body.bytes), admit: admit, parallel: parallel)
            return (decoded.tensor, decoded.negativeSlope)
        case .octetStream:
            return (try TensorBuffer(octet: TensorRegion(body: body), dtypeHeader: headers["x-tensor-dtype"], shapeHeader: headers["x-tensor-shape"]), nil)
        case .npy:
            return (try TensorBuffer(npy: TensorRegion(body: body)), nil)
        }
    }

    /// The answer varies with these request fields (format and coding negotiation).
    static let vary = ("Vary", "Accept, Accept-Encoding")

    /// The computed tensor in `format`; `admit` is asked for a JSON answer's bytes or a reordering copy. `extraField`
    /// goes in the same field list (one array per answer).
    static func answer(
        _ tensor: inout TensorBuffer, in format: TensorFormat, admit: MemoryAdmission, parallel: ParallelPieces = .serial,
        extraField: (String, String)? = nil
    ) throws(CodecError) -> HTTPResponse {
        var fields: [(name: String, value: String)] = [(name: "Content-Type", value: format.mediaType)]
        fields.reserveCapacity(4)
        let body: [BodySegment]
        switch format {
        case .npy:
            body = [.bytes(try tensor.npyHeader()), tensor.bodySegment]
        case .octetStream:
            try tensor.makeLittleEndianCOrder(admit: admit)
            fields.append((name: "X-Tensor-Dtype", value: tensor.dtype.rawValue))
            fields.append((name: "X-Tensor-Shape", value: tensor.octetShapeHeader))
            body = [tensor.bodySegment]
        case .json:
            body = [.bytes(try tensor.jsonDocument(admit: admit, parallel: parallel))]
        }
        if let (name, value) = extraField { fields.append((name: name, value: value)) }
        return HTTPResponse(status: 200, fields: fields, body: body)
    }

    static func querySlope(_ head: HTTPRequestHead) throws(ServiceError) -> Double? {
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

    static func resolveSlope(query: Double?, body: Double?) throws(ServiceError) -> Double {
        if let query, let body, query != body {
            throw .badRequest(
                "conflicting-negative-slope", "negative_slope is \(query) in the query but \(body) in the body; send one.")
        }
        return query ?? body ?? LeakyReLU.defaultSlope
    }
}
