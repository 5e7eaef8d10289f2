// libFuzzer entry for the JSON tensor reader: any bytes; every dtype; the element count must match the shape.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard let request = try? JSONTensorReader.read(UnsafeRawBufferPointer(start: data, count: size)) else { return 0 }
    precondition(request.count == request.shape.reduce(1, *), "count disagrees with shape")
    _ = try? request.data.withUnsafeBytes {
        try JSONTensorWriter.write(dtype: request.dtype, shape: request.shape, layout: request.layout, data: $0)
    }
    return 0
}
