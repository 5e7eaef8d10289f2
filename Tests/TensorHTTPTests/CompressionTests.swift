import Testing
@testable import TensorHTTP

@Suite struct CompressionTests {
    static let text = Array(String(repeating: "leaky_relu_ in place, ", count: 500).utf8)

    func inflate(_ bytes: [UInt8], _ coding: ContentCoding, limit: Int = 1 << 20) throws(InflateError) -> [UInt8] {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 1)
        defer { buffer.deallocate() }
        buffer.copyBytes(from: bytes)
        return try Inflater.inflate(UnsafeRawBufferPointer(rebasing: buffer[0..<bytes.count]), coding: coding, limit: limit).array
    }

    @Test func gzipRoundTrip() throws {
        let compressed = Deflater.gzip([.bytes(Array(Self.text[..<100])), .bytes(Array(Self.text[100...]))], totalCount: Self.text.count)
        #expect(compressed.count < Self.text.count / 4)
        #expect(compressed.prefix(2) == [0x1F, 0x8B])
        #expect(try inflate(compressed, .gzip) == Self.text)
    }

    @Test func deflateIsZlibWrappedOrRaw() throws {
        // zlib stream of "hello" (python: zlib.compress(b"hello")) and the raw deflate inside it.
        let zlib: [UInt8] = [0x78, 0x9C, 0xCB, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00, 0x06, 0x2C, 0x02, 0x15]
        #expect(try inflate(zlib, .deflate) == Array("hello".utf8))
        #expect(try inflate(Array(zlib[2..<(zlib.count - 4)]), .deflate) == Array("hello".utf8))
    }

    @Test("A body that inflates past the limit stops at the limit")
    func bombStopsAtTheLimit() {
        let zeros = [UInt8](repeating: 0, count: 10 << 20)
        let bomb = Deflater.gzip([.bytes(zeros)], totalCount: zeros.count, level: 9)
        #expect(bomb.count < 20_000)
        #expect(throws: InflateError.tooLarge(limit: 1 << 20)) { try inflate(bomb, .gzip) }
    }

    @Test("Every member of a multi-member gzip body is inflated (RFC 1952 §2.2), within one limit")
    func gzipMembers() throws {
        let first = Deflater.gzip([.bytes(Array(Self.text[..<100]))], totalCount: 100)
        let second = Deflater.gzip([.bytes(Array(Self.text[100...]))], totalCount: Self.text.count - 100)
        #expect(try inflate(first + second, .gzip) == Self.text)
        #expect(throws: InflateError.tooLarge(limit: Self.text.count - 1)) {
            try inflate(first + second, .gzip, limit: Self.text.count - 1)
        }
    }

    @Test func corruptAndTruncatedStreams() {
        let compressed = Deflater.gzip([.bytes(Self.text)], totalCount: Self.text.count)
        #expect(throws: InflateError.self) { try inflate(Array(compressed.prefix(compressed.count / 2)), .gzip) }
        #expect(throws: InflateError.self) { try inflate(Array("not gzip at all".utf8), .gzip) }
        #expect(throws: InflateError.self) { try inflate(compressed + [1, 2, 3], .gzip) }
        #expect(throws: InflateError.self) { try inflate(Array("not deflate".utf8), .deflate) }
    }

    @Test func codingNames() {
        #expect(ContentCoding(token: "GZIP") == .gzip)
        #expect(ContentCoding(token: "x-gzip") == .gzip)
        #expect(ContentCoding(token: "deflate") == .deflate)
        #expect(ContentCoding(token: "br") == nil)
    }
}
