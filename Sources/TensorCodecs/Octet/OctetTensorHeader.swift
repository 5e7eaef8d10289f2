import TensorKernels

/// What an `application/octet-stream` tensor's headers say (`X-Tensor-Dtype`, `X-Tensor-Shape`), checked against
/// the body's size: raw little-endian elements in C order, nothing else in the body.
public struct OctetTensorHeader: Equatable, Sendable {
    public var dtype: DType
    public var shape: [Int]
    public var count: Int

    /// `dtype` and `shape` are the header values as sent (nil when absent: float32, and a 1-D tensor of whatever
    /// the body holds). Throws when a value is malformed or the shape's byte count is not the body's.
    public init(dtype dtypeName: String?, shape shapeValue: String?, byteCount: Int) throws(CodecError) {
        dtype = try dtypeName.map { name throws(CodecError) in try DTypeName.parse(name) } ?? .float32
        if let shapeValue {
            shape = try TensorShape.parseHeader(shapeValue)
            count = try TensorShape.elementCount(shape)
            let expected = try TensorShape.byteCount(elements: count, itemSize: dtype.itemSize)
            guard expected == byteCount else {
                throw CodecError(
                    .malformed,
                    "X-Tensor-Shape \(shape) of \(dtype.rawValue) needs \(expected) bytes; the body has \(byteCount)")
            }
        } else {
            guard byteCount % dtype.itemSize == 0 else {
                throw CodecError(
                    .malformed,
                    "the body's \(byteCount) bytes are not a whole number of \(dtype.rawValue) elements (\(dtype.itemSize) bytes each)")
            }
            count = byteCount / dtype.itemSize
            shape = [count]
        }
    }
}
