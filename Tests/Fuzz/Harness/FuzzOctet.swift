// libFuzzer entry for the X-Tensor-Shape header parser and the shape arithmetic behind it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOctet(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
    guard let shape = try? TensorShape.parseHeader(text) else { return 0 }
    precondition(shape.count <= TensorShape.maxRank && shape.allSatisfy { $0 >= 0 })
    precondition((try? TensorShape.parseHeader(TensorShape.headerValue(shape))) == shape, "canonical form does not round trip")
    if let count = try? TensorShape.elementCount(shape) {
        _ = try? TensorShape.byteCount(elements: count, itemSize: 8)
    }
    return 0
}
