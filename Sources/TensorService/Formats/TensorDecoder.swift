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
            let header = try RawTensorHeader(headers, byteCount: body.count)
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
