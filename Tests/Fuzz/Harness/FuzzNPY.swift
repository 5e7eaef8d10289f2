// libFuzzer entry for the .npy header reader: a header it accepts must describe exactly the bytes that follow.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPY(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard let header = try? NPYHeader.parse(UnsafeRawBufferPointer(start: data, count: size)) else { return 0 }
    precondition(header.dataOffset + header.count * header.dtype.itemSize == size, "header and data size disagree")
    return 0
}
