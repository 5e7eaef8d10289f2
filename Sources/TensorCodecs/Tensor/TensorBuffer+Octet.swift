/// Raw bytes: little-endian elements in C order, with dtype and shape in `X-Tensor-Dtype` and `X-Tensor-Shape`.
extension TensorBuffer {
    /// The tensor in `body`, read in place; the header values are checked against its length.
    public init(octet body: TensorRegion, dtypeHeader: String?, shapeHeader: String?) throws(CodecError) {
        let header = try OctetTensorHeader(dtype: dtypeHeader, shape: shapeHeader, byteCount: body.range.count)
        self.init(dtype: header.dtype, shape: header.shape, storage: .region(body))
    }

    /// `X-Tensor-Shape` for this tensor.
    public var octetShapeHeader: String { TensorShape.headerValue(shape) }
}
