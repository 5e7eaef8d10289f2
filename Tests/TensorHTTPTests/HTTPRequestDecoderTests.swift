import Testing
@testable import TensorHTTP

/// The decoder gives the same requests however the stream is cut: whole, a byte at a time, or split at any index.
@Suite struct HTTPRequestDecoderTests {
    struct Decoded: Equatable {
        var method: String
        var target: String
        var body: [UInt8]
    }

    static let stream = Array((
        "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
        + "POST /b?q=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
        + "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "4;ext=1\r\nwiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nTrailer: t\r\n\r\n"
        + "\r\nGET /d HTTP/1.0\r\n\r\n"
    ).utf8)

    static let expected = [
        Decoded(method: "GET", target: "/a", body: []),
        Decoded(method: "POST", target: "/b?q=1", body: Array("hello".utf8)),
        Decoded(method: "POST", target: "/c", body: Array("wikipedia in\r\n\r\nchunks.".utf8)),
        Decoded(method: "GET", target: "/d", body: []),
    ]

    /// With `reusingBodies`, each body buffer is handed back for the next request, as a connection does.
    static func decode(
        _ pieces: [ArraySlice<UInt8>], maxBody: Int = 1024, reusingBodies: Bool = false
    ) throws(HTTPRequestError) -> [Decoded] {
        var decoder = HTTPRequestDecoder(limits: .init(maxBodyBytes: maxBody))
        var input = InputBuffer(capacity: 8)
        var results: [Decoded] = []
        var spare: ByteBuffer?
        for piece in pieces {
            input.append(Array(piece))
            while let event = try decoder.next(from: &input) {
                switch event {
                case .head:
                    decoder.beginBody(reusing: spare)
                    spare = nil
                case .request(let request):
                    results.append(Decoded(method: request.head.method, target: request.head.target, body: request.body.array))
                    if reusingBodies { spare = request.body }
                }
            }
        }
        return results
    }

    @Test func wholeStream() throws {
        #expect(try Self.decode([Self.stream[...]]) == Self.expected)
    }

    @Test func oneByteAtATime() throws {
        #expect(try Self.decode(Self.stream.indices.map { Self.stream[$0...$0] }) == Self.expected)
    }

    @Test func splitAtEveryIndex() throws {
        for split in 1..<Self.stream.count {
            let decoded = try Self.decode([Self.stream[..<split], Self.stream[split...]])
            #expect(decoded == Self.expected, "split at \(split)")
        }
    }

    @Test func reusedBodiesDecodeTheSame() throws {
        #expect(try Self.decode([Self.stream[...]], reusingBodies: true) == Self.expected)
        for index in Self.stream.indices {
            let pieces = [Self.stream[..<index], Self.stream[index...]]
            #expect(try Self.decode(pieces, reusingBodies: true) == Self.expected, "split at \(index)")
        }
    }

    @Test func aSpareBodyIsUsedOnlyWhenLargeEnough() throws {
        var decoder = HTTPRequestDecoder(limits: .init(maxBodyBytes: 1024))
        var input = InputBuffer()
        let spare = ByteBuffer(capacity: 8)
        spare.append(Array("stale".utf8))
        input.append(Array("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc".utf8))
        guard case .head = try decoder.next(from: &input) else { Issue.record("no head"); return }
        decoder.beginBody(reusing: spare)
        guard case .request(let first) = try decoder.next(from: &input) else { Issue.record("no request"); return }
        #expect(first.body === spare && first.body.array == Array("abc".utf8))

        input.append(Array("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\nlongerone".utf8))
        guard case .head = try decoder.next(from: &input) else { Issue.record("no head"); return }
        decoder.beginBody(reusing: spare)
        guard case .request(let second) = try decoder.next(from: &input) else { Issue.record("no request"); return }
        #expect(second.body !== spare && second.body.array == Array("longerone".utf8))
    }

    @Test func directBodyWindowReceivesTheRest() throws {
        var decoder = HTTPRequestDecoder(limits: .init(maxBodyBytes: 100))
        var input = InputBuffer()
        input.append(Array("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nab".utf8))
        guard case .head = try decoder.next(from: &input) else { Issue.record("no head"); return }
        decoder.beginBody()
        #expect(try decoder.next(from: &input) == nil)
        let window = try #require(decoder.directBodyWindow)
        #expect(window.count == 4)
        window.copyBytes(from: Array("cdef".utf8))
        decoder.directBodyFilled(4)
        guard case .request(let request) = try decoder.next(from: &input) else { Issue.record("no request"); return }
        #expect(request.body.array == Array("abcdef".utf8))
    }

    @Test func headOverTheLimitWithoutAnEnd() {
        #expect(throws: HTTPRequestError.headTooLarge(limit: 64)) {
            var decoder = HTTPRequestDecoder(limits: .init(maxHeadBytes: 64, maxBodyBytes: 10))
            var input = InputBuffer()
            input.append(Array(("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 100)).utf8))
            _ = try decoder.next(from: &input)
        }
    }

    @Test func chunkedErrors() {
        let head = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        let cases: [(String, HTTPRequestError)] = [
            ("zz\r\n", .invalidChunk("chunk size \"zz\" is not hexadecimal")),
            ("\r\n", .invalidChunk("a chunk size is missing")),
            ("3\r\nabcX\r\n", .invalidChunk("chunk data is longer than its size")),
            ("FFFFFFFFFFFFFFFF\r\n", .invalidChunk("a chunk size is too large")),
            ("B\r\n", .bodyTooLarge(limit: 10)),
            ("8 junk\r\n", .invalidChunk("chunk size line \"8 junk\" has bytes after the size")),
            ("3\nabc\r\n", .invalidChunk("a chunk framing line must end with CRLF")),
            ("3\r\nabc\n0\r\n\r\n", .invalidChunk("a chunk framing line must end with CRLF")),
        ]
        for (body, error) in cases {
            #expect(throws: error) { try Self.decode([Array((head + body).utf8)[...]], maxBody: 10) }
        }
    }
}

extension HTTPRequestDecoder.Event: Equatable {
    public static func == (lhs: Self, rhs: Self) -> Bool {
        switch (lhs, rhs) {
        case (.head(let a), .head(let b)): a.target == b.target
        case (.request(let a), .request(let b)): a.head.target == b.head.target && a.body.array == b.body.array
        default: false
        }
    }
}
