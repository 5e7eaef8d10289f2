import TensorKernels
import TensorMemory

/// The answer to an infer request: the one output, as JSON `data` or as Triton binary data after the JSON header.
public struct KServeInferResponse {
    /// The JSON text, in pieces so that the elements' text is not copied to join them. For binary output it is the
    /// header that `Inference-Header-Content-Length` counts.
    public var json: [[UInt8]]
    /// The elements after the header (binary output), or nil when `json` is the whole answer.
    public var binaryData: TensorBuffer?

    /// Answers `request` with its computed `tensor`; `admit` is asked for JSON data before it is written, and large
    /// JSON data is written in pieces on `parallel`'s threads.
    public init(
        answering request: KServeInferRequest, with tensor: TensorBuffer, modelName: String, modelVersion: String,
        admit: MemoryAdmission = admitAnything, parallel: ParallelPieces = .serial
    ) throws(CodecError) {
        var tensor = tensor
        var text = Self.jsonHead(
            answering: request, dtype: tensor.dtype, shape: tensor.shape, modelName: modelName, modelVersion: modelVersion)
        if request.outputSharedMemory != nil {
            // Written to the caller's region already: the answer only describes it, as Triton's does.
            json = [Array((text + "}]}").utf8)]
            binaryData = nil
        } else if request.wantsBinaryOutput {
            text += #","parameters":{"binary_data_size":\#(tensor.byteCount)}}]}"#
            json = [Array(text.utf8)]
            binaryData = tensor
        } else {
            json = [Array((text + #","data":"#).utf8), try tensor.jsonFlatArray(admit: admit, parallel: parallel), Array("}]}".utf8)]
            binaryData = nil
        }
    }
}

extension KServeInferResponse {
    /// The answer's JSON up to the output's shape: `{"model_name", "model_version", "id", "outputs":[{"name",
    /// "datatype", "shape"`; what follows is its data, its binary size or nothing, then `}]}`.
    public static func jsonHead(
        answering request: KServeInferRequest, dtype: DType, shape: [Int], modelName: String, modelVersion: String
    ) -> String {
        var text = #"{"model_name":\#(JSONText.quoted(modelName)),"model_version":\#(JSONText.quoted(modelVersion)),"#
        if let id = request.id { text += #""id":\#(JSONText.quoted(id)),"# }
        text += #""outputs":[{"name":"output","datatype":"\#(KServeDatatype.name(of: dtype))","#
        text += #""shape":[\#(shape.map(String.init).joined(separator: ","))]"#
        return text
    }
}

extension TensorBuffer {
    /// The input of a decoded infer request: JSON data in its own array, binary data where it lies in `body`, data
    /// in shared memory where the caller resolved it (`sharedMemory`, the reference's bytes).
    public init(kserve request: KServeInferRequest, body: TensorRegion, sharedMemory: TensorRegion? = nil) throws(CodecError) {
        let storage: Storage
        switch request.data {
        case .json(let array): storage = .array(array)
        case .binary(let range): storage = .region(body.subregion(range))
        case .sharedMemory(let reference):
            guard let sharedMemory else { throw .malformed("shared memory region \"\(reference.region)\" is not available") }
            storage = .region(sharedMemory)
        }
        self.init(dtype: request.dtype, shape: request.shape, layout: .flat, storage: storage)
    }
}
