import TensorKernels

/// `inference.ModelInferResponse` for a computed tensor: every field but the tensor's bytes is written here; those
/// are `raw_output_contents`, the message's last field, sent from where they lie (`tensor`), so the answer costs no
/// copy of the tensor. An output written to the caller's shared memory has no `raw_output_contents`.
public struct KServeGRPCInferResponse {
    /// The message's bytes before the tensor's (all of it when `tensor` is nil).
    public var head: [UInt8]
    public var tensor: TensorBuffer?

    /// The whole message's length.
    public var count: Int { head.count + (tensor?.byteCount ?? 0) }

    public init(answering request: KServeInferRequest, with tensor: TensorBuffer, modelName: String, modelVersion: String) {
        var writer = ProtoWriter(capacity: 96)
        writer.string(1, modelName)
        writer.string(2, modelVersion)
        writer.string(3, request.id ?? "")
        writer.message(5) { output in
            output.string(1, KServeInferRequestDecoder.outputName)
            output.string(2, KServeDatatype.name(of: tensor.dtype))
            output.packedInt64s(3, tensor.shape.map { Int64($0) })
        }
        if request.outputSharedMemory == nil {
            // Present even for an empty tensor: tritonclient reads raw_output_contents[i] by the output's position.
            writer.bytesHeader(6, count: tensor.byteCount)
            self.tensor = tensor
        } else {
            self.tensor = nil
        }
        head = writer.bytes
    }

    /// `ModelStreamInferResponse` around this response (field 2, `infer_response`): the prefix that goes before
    /// `head`.
    public var streamPrefix: [UInt8] {
        var writer = ProtoWriter(capacity: 8)
        writer.bytesHeader(2, count: count)
        return writer.bytes
    }

    /// `ModelStreamInferResponse` with `error_message` (field 1): a failed message of a stream, with the request's
    /// id in `infer_response` when it had one, so the client can tell which message failed.
    public static func streamError(_ message: String, id: String?) -> [UInt8] {
        var writer = ProtoWriter(capacity: message.utf8.count + 16)
        writer.string(1, message, always: true)
        if let id, !id.isEmpty { writer.message(2) { $0.string(3, id) } }
        return writer.bytes
    }
}
