// libFuzzer entry for an octet-stream tensor's headers: the X-Tensor-Shape parser, the shape arithmetic behind it,
// and the X-Tensor-Dtype / X-Tensor-Shape / body-size check (OctetTensorHeader).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOctet(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
    if let shape = try? TensorShape.parseHeader(text) {
        precondition(shape.count <= TensorShape.maxRank && shape.allSatisfy { $0 >= 0 })
        precondition((try? TensorShape.parseHeader(TensorShape.headerValue(shape))) == shape, "canonical form does not round trip")
        if let count = try? TensorShape.elementCount(shape) {
            _ = try? TensorShape.byteCount(elements: count, itemSize: 8)
        }
    }
    // The same bytes as "dtype\nshape\nbody size": every accepted header describes exactly the body's bytes.
    let lines = text.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
    guard lines.count == 3, let byteCount = Int(lines[2].prefix(18)), byteCount >= 0 else { return 0 }
    let dtype = lines[0].isEmpty ? nil : lines[0]
    let shape = lines[1] == "-" ? nil : lines[1]
    if let header = try? OctetTensorHeader(dtype: dtype, shape: shape, byteCount: byteCount) {
        precondition(header.count * header.dtype.itemSize == byteCount, "the header does not describe the body")
        precondition((try? TensorShape.elementCount(header.shape)) == header.count)
    }
    return 0
}
