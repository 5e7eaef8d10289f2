import TensorMemory

// libFuzzer entry for the gRPC message framing: the first byte picks the encoding and how the rest is split into
// DATA frames; every message that comes out is within the limit, and the budget is all given back.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGRPCFraming(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 1 else { return 0 }
    let encoding: ContentCoding? = [nil, .gzip, .deflate][Int(data[0] % 3)]
    let stride = Int(data[0] >> 2) + 1
    let budget = InflightBudget(limit: 1 << 20)
    var reader = GRPCMessageReader(maxMessageBytes: 1 << 16, encoding: encoding, budget: budget)
    var messages: [GRPCMessage] = []
    var offset = 1
    while offset < size {
        let count = min(stride, size - offset)
        guard let more = try? reader.feed(UnsafeRawBufferPointer(start: data + offset, count: count)) else { break }
        messages += more
        offset += count
    }
    for message in messages {
        precondition(message.buffer.count <= 1 << 16)
        message.budget?.releaseAll()
    }
    messages.removeAll()
    withExtendedLifetime(reader) {}
    return 0
}
