// libFuzzer entry for the HTTP request decoder: the input is a byte stream (pipelined, chunked, anything), fed in
// pieces whose sizes come from the input itself, as a socket would deliver it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTP(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    var decoder = HTTPRequestDecoder(limits: .init(maxHeadBytes: 4096, maxBodyBytes: 1 << 16))
    var input = InputBuffer(capacity: 64)
    var offset = 0
    var step = 1
    while offset < size {
        let piece = min(step, size - offset)
        input.append(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + piece)]))
        offset += piece
        step = Int(bytes[offset - 1] % 61) + 1
        do {
            while let event = try decoder.next(from: &input) {
                switch event {
                case .head(let head):
                    _ = (head.wantsKeepAlive, head.expectsContinue, head.path, head.query)
                    decoder.beginBody()
                case .request(let request):
                    precondition(request.body.count <= 1 << 16, "a body passed the limit")
                }
            }
        } catch {
            return 0
        }
    }
    return 0
}
