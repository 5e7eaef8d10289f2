import Foundation
import TensorCodecs
import TensorHTTP
import TensorKernels
import TensorMemory

/// The Open Inference Protocol (KServe v2) routes for the one model, `leaky_relu`, with Triton's binary tensor
/// data extension, as `tritonclient.http` and KServe's clients speak them.
package enum KServeEndpoint {
    /// The extensions `/v2` names: `perf_analyzer` asks for statistics only when `statistics` is listed.
    static let extensions = ["binary_tensor_data", "model_configuration", "statistics"]

    static func serverMetadata(withSharedMemory: Bool) -> HTTPResponse {
        let names = (extensions + (withSharedMemory ? ["system_shared_memory"] : [])).map { "\"\($0)\"" }.joined(separator: ",")
        return json(#"{"name":"tensor-service","version":"\#(ServiceVersion.current)","extensions":[\#(names)]}"#)
    }

    /// Triton's model configuration, as `perf_analyzer` and `tritonclient`'s `get_model_config` read it: no batching
    /// (`max_batch_size` 0, so `dims` is the whole shape), one CPU instance per worker thread.
    static func modelConfig(instances: Int) -> HTTPResponse {
        func tensor(_ name: String) -> String {
            #"{"name":"\#(name)","data_type":"TYPE_FP32","format":"FORMAT_NONE","dims":[-1],"is_shape_tensor":false}"#
        }
        return json(
            #"{"name":"\#(Route.modelName)","platform":"","backend":"tensor-service","#
                + #""version_policy":{"specific":{"versions":[\#(Route.modelVersion)]}},"max_batch_size":0,"#
                + #""input":[\#(tensor("input"))],"output":[\#(tensor("output"))],"#
                + #""instance_group":[{"name":"\#(Route.modelName)","kind":"KIND_CPU","count":\#(instances)}],"#
                + #""default_model_filename":"","parameters":{}}"#)
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

    /// What the head of an infer request decides: the JSON header's length (binary tensor data follows it) and the
    /// codings; the body goes through the `TensorPipeline` like any tensor request.
    /// `sharedMemory` is the registry when the shared-memory extension is on.
    static func pipeline(for head: HTTPRequestHead, sharedMemory: SharedMemoryRegistry?) throws(ServiceError) -> TensorPipeline {
        let headerLength = try headerLength(head)
        return TensorPipeline(
            requestCoding: try RequestCoding.parse(head.headers),
            answerCoding: AcceptEncoding.preferredCoding(head.headers["accept-encoding"])
        ) { body, _, admit, parallel in
            let request = try KServeInferRequestDecoder.decode(
                UnsafeRawBufferPointer(body.bytes), headerLength: headerLength, admit: admit, parallel: parallel)
            let placement = try SharedMemoryPlacement(request, body: body, registry: sharedMemory, admit: admit)
            // JSON data in the answer: streamed in pieces when too large to hold whole.
            let streamed =
                request.outputSharedMemory == nil && !request.wantsBinaryOutput
                ? StreamedJSON(
                    header: KServeInferResponse.jsonHead(
                        answering: request, dtype: placement.tensor.dtype, shape: placement.tensor.shape, modelName: Route.modelName,
                        modelVersion: Route.modelVersion) + #","data":"#,
                    footer: "}]}", isFlat: true)
                : nil
            return TensorPipeline.Decoded(
                tensor: placement.tensor, slope: request.negativeSlope ?? LeakyReLU.defaultSlope, streamedJSON: streamed
            ) { tensor, admit, parallel in
                try placement.finish(tensor)
                return try answer(request, with: tensor, admit: admit, parallel: parallel)
            }
        }
    }

    /// `Inference-Header-Content-Length`: where the JSON header ends and binary tensor data begins.
    private static func headerLength(_ head: HTTPRequestHead) throws(ServiceError) -> Int? {
        guard let value = head.headers["inference-header-content-length"] else { return nil }
        guard let length = Int(value.trimmingSpaces), length >= 0 else {
            throw .badRequest("malformed-request", "Inference-Header-Content-Length \"\(value.prefix(32))\" is not a non-negative integer.")
        }
        return length
    }

    /// The output as JSON `data`, or as binary data after a JSON header (Triton's binary tensor data extension).
    private static func answer(
        _ request: KServeInferRequest, with tensor: TensorBuffer, admit: MemoryAdmission, parallel: ParallelPieces
    ) throws(CodecError) -> HTTPResponse {
        let answer = try KServeInferResponse(
            answering: request, with: tensor, modelName: Route.modelName, modelVersion: Route.modelVersion, admit: admit,
            parallel: parallel)
        guard let binary = answer.binaryData else {
            return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: answer.json.map { .bytes($0) })
        }
        let headerLength = answer.json.reduce(0) { $0 + $1.count }
        return HTTPResponse(
            status: 200,
            headers: [("Content-Type", "application/octet-stream"), ("Inference-Header-Content-Length", String(headerLength))],
            body: answer.json.map { .bytes($0) } + [binary.bodySegment])
    }
}
