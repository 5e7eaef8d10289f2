// libFuzzer entry for the gRPC ModelInferRequest decoder (our protobuf codec): whatever it accepts is consistent
// with the message it came from.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProtobuf(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let message = UnsafeRawBufferPointer(start: data, count: size)
    guard let decoded = try? KServeGRPCInferRequest.decode(message) else { return 0 }
    let request = decoded.request
    let elements = request.shape.reduce(1, *)
    switch request.data {
    case .binary(let range):
        // raw_input_contents lies inside the message and holds exactly the tensor.
        precondition(range.lowerBound >= 0 && range.upperBound <= size && range.count == elements * request.dtype.itemSize)
    case .json(let array):
        precondition(array.count == elements * request.dtype.itemSize)
    case .sharedMemory(let reference):
        precondition(reference.offset >= 0 && reference.byteSize == elements * request.dtype.itemSize)
    }
    return 0
}
