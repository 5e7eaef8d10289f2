import TensorCodecs
import TensorHTTP
import TensorKernels

/// KServe V1 and TF Serving's REST predict, the KServe SDK's default protocol:
/// `POST /v1/models/leaky_relu:predict` with `{"instances": [...]}` answered `{"predictions": [...]}`, or with
/// `{"inputs": ...}` answered `{"outputs": ...}`. The data is read and written like the JSON tensor format's (nested
/// arrays, or flat with `shape`; `dtype` float32 by default; `negative_slope` in the body or the query).
enum V1Endpoint {
    static func pipeline(for head: HTTPRequestHead) throws(ServiceError) -> TensorPipeline {
        if let contentType = head.headers["content-type"], TensorFormat(contentType: contentType) != .json {
            throw .unsupportedMediaType("Content-Type \(contentType.prefix(100)) is not supported here; predict takes application/json.")
        }
        let querySlope = try LeakyReLUEndpoint.querySlope(head)
        return TensorPipeline(
            requestCoding: try RequestCoding.parse(head.headers),
            answerCoding: AcceptEncoding.preferredCoding(head.headers["accept-encoding"])
        ) { body, _, admit, parallel in
            let decoded = try TensorBuffer.decodingJSON(
                UnsafeRawBufferPointer(body.bytes), dataKeys: ["instances", "inputs"], admit: admit, parallel: parallel)
            let header = decoded.dataKey == "instances" ? #"{"predictions":"# : #"{"outputs":"#
            return TensorPipeline.Decoded(
                tensor: decoded.tensor, slope: try LeakyReLUEndpoint.resolveSlope(query: querySlope, body: decoded.negativeSlope),
                streamedJSON: StreamedJSON(header: header)
            ) { tensor, admit, parallel in
                HTTPResponse(
                    status: 200, contentType: "application/json", body: try tensor.jsonDocument(header: header, admit: admit, parallel: parallel))
            }
        }
    }

    /// TF Serving's `GET /v1/models/{model}/metadata`: the serving signature, one input and one output of any shape.
    static let metadata: String = {
        let tensor = { (name: String) in #""\#(name)":{"dtype":"DT_FLOAT","tensor_shape":{"dim":[],"unknown_rank":true},"name":"\#(name)"}"# }
        return #"{"model_spec":{"name":"\#(Route.modelName)","signature_name":"","version":"\#(Route.modelVersion)"},"#
            + #""metadata":{"signature_def":{"signature_def":{"serving_default":{"inputs":{\#(tensor("input"))},"#
            + #""outputs":{\#(tensor("output"))},"method_name":"tensorflow/serving/predict"}}}}}"#
    }()
}
