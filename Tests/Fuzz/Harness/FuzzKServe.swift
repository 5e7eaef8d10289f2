// libFuzzer entry for the KServe infer request decoder: the first two bytes pick the JSON header's length, the
// rest is the body; a binary input it accepts must lie inside the body.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKServe(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 2 else { return 0 }
    let body = UnsafeRawBufferPointer(start: data + 2, count: size - 2)
    let split = Int(data[0]) | Int(data[1]) << 8
    let headerLength: Int? = split == 0xFFFF ? nil : split
    guard let request = try? KServeInferRequestDecoder.decode(body, headerLength: headerLength) else { return 0 }
    if case .binary(let range) = request.data { precondition(range.upperBound == body.count) }
    // A shared-memory reference it accepts is non-negative and sized exactly for the tensor.
    if case .sharedMemory(let reference) = request.data {
        let elements = request.shape.reduce(1, *)
        precondition(reference.offset >= 0 && reference.byteSize == elements * request.dtype.itemSize)
    }
    return 0
}
