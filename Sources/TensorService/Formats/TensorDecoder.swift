import TensorCodecs
import TensorHTTP
import TensorKernels

/// Turns a request body into a `TensorPayload`, per format, without copying the tensor's bytes where the format
/// allows it (raw and `.npy` data stay in the body buffer).
enum TensorDecoder {
    /// Also returns the JSON body's `negative_slope`, if it had one.
    /// `admit` is asked for a JSON tensor's decoded bytes; raw and `.npy` tensors need none beyond their body.
    static func decode(
        _ body: ByteBuffer, format: TensorFormat, headers: HTTPHeaders, admit: @escaping MemoryAdmission = admitAnything
    ) throws(CodecError) -> (TensorPayload, bodySlope: Double?) {
        switch format {
        case .json:
            let decoded = try JSONTensorReader.read(UnsafeRawBufferPointer(body.bytes), admit: admit)
            let payload = TensorPayload(dtype: decoded.dtype, shape: decoded.shape, layout: decoded.layout, storage: .bytes(decoded.data))
            return (payload, decoded.negativeSlope)
        case .octetStream:
            let header = try OctetTensorHeader(
                dtype: headers["x-tensor-dtype"], shape: headers["x-tensor-shape"], byteCount: body.count)
            return (TensorPayload(dtype: header.dtype, shape: header.shape, layout: .nested, storage: .buffer(body, 0..<body.count)), nil)
        case .npy:
            let header = try NPYHeader.parse(UnsafeRawBufferPointer(body.bytes))
            let payload = TensorPayload(
                dtype: header.dtype, shape: header.shape, layout: .nested, storage: .buffer(body, header.dataOffset..<body.count),
                isBigEndian: header.isBigEndian, isFortranOrder: header.isFortranOrder)
            return (payload, nil)
        }
    }
}
