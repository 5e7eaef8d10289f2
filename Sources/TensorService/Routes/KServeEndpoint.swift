import Foundation
import TensorCodecs
import TensorHTTP
import TensorKernels

/// The Open Inference Protocol (KServe v2) routes for the one model, `leaky_relu`, with Triton's binary tensor
/// data extension, as `tritonclient.http` and KServe's clients speak them.
package struct KServeEndpoint: Sendable {
    /// What the head alone decides for an infer request.
    package struct Plan: Sendable {
        var headerLength: Int?
        var requestCoding: ContentCoding?
        var answerCoding: ContentCoding?
    }

    let pool: WorkerPool
    let maxBodyBytes: Int
    let metrics: ServiceMetrics

    static func serverMetadata() -> HTTPResponse {
        json(#"{"name":"tensor-service","version":"\#(ServiceVersion.current)","extensions":["binary_tensor_data"]}"#)
    }

    /// One input and one output of dynamic shape; FP32 is listed, and FP16, BF16 and FP64 are accepted too.
    static func modelMetadata() -> HTTPResponse {
        let tensor = #""datatype":"FP32","shape":[-1]"#
        return json(
            #"{"name":"\#(Route.modelName)","versions":["\#(Route.modelVersion)"],"platform":"tensor-service","#
                + #""inputs":[{"name":"input",\#(tensor)}],"outputs":[{"name":"output",\#(tensor)}]}"#)
    }

    static func json(_ text: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "application/json", body: Array(text.utf8))
    }

    package static func plan(for head: HTTPRequestHead) throws(ServiceError) -> Plan {
        var headerLength: Int?
        if let value = head.headers["inference-header-content-length"] {
            guard let length = Int(value.trimmingSpaces), length >= 0 else {
                throw .badRequest("malformed-request", "Inference-Header-Content-Length \"\(value.prefix(32))\" is not a non-negative integer.")
            }
            headerLength = length
        }
        return Plan(
            headerLength: headerLength, requestCoding: try RequestCoding.parse(head.headers),
            answerCoding: AcceptEncoding.preferredCoding(head.headers["accept-encoding"]))
    }

    /// Runs on a worker thread: inflate, decode, compute in place, answer with JSON or binary output.
    package func infer(_ request: HTTPRequest, plan: Plan) throws -> HTTPResponse {
        let admit = request.admission
        let body = try RequestCoding.inflate(request.body, coding: plan.requestCoding, limit: maxBodyBytes, admit: admit)
        let decoded = try KServeInferRequestDecoder.decode(
            UnsafeRawBufferPointer(body.bytes), headerLength: plan.headerLength, admit: admit)
        let storage: BodySegment
        switch decoded.data {
        case .json(let array): storage = .bytes(array)
        case .binary(let range): storage = .buffer(body, range)
        }
        var tensor = TensorPayload(dtype: decoded.dtype, shape: decoded.shape, layout: .flat, storage: storage)
        tensor.compute(slope: decoded.negativeSlope ?? LeakyReLU.defaultSlope, pool: pool)
        metrics.recordElements(tensor.dtype, count: tensor.count)
        var response = try Self.answer(decoded, tensor: tensor, admit: admit)
        AcceptEncoding.compress(&response, coding: plan.answerCoding, admit: admit)
        return response
    }

    private static func answer(
        _ request: KServeInferRequest, tensor: TensorPayload, admit: @escaping MemoryAdmission
    ) throws -> HTTPResponse {
        var header = #"{"model_name":"\#(Route.modelName)","model_version":"\#(Route.modelVersion)","#
        if let id = request.id { header += #""id":\#(JSONText.quoted(id)),"# }
        header += #""outputs":[{"name":"output","datatype":"\#(KServeDatatype.name(of: tensor.dtype))","#
        header += #""shape":[\#(tensor.shape.map(String.init).joined(separator: ","))],"#
        guard request.wantsBinaryOutput else {
            let data = try tensor.withBytes { bytes throws(CodecError) in
                try JSONTensorWriter.flatArray(dtype: tensor.dtype, data: bytes, admit: admit)
            }
            return HTTPResponse(
                status: 200, headers: [("Content-Type", "application/json")],
                body: [.bytes(Array((header + #""data":"#).utf8)), .bytes(data), .bytes(Array("}]}".utf8))])
        }
        header += #""parameters":{"binary_data_size":\#(tensor.storage.count)}}]}"#
        let json = Array(header.utf8)
        return HTTPResponse(
            status: 200,
            headers: [("Content-Type", "application/octet-stream"), ("Inference-Header-Content-Length", String(json.count))],
            body: [.bytes(json), tensor.storage])
    }
}
