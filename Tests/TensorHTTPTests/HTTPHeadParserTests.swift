import Testing
@testable import TensorHTTP

@Suite struct HTTPHeadParserTests {
    func parse(_ text: String, maxBody: Int = 1 << 20) throws(HTTPRequestError) -> HTTPRequestHead {
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: text.utf8.count, alignment: 1)
        defer { bytes.deallocate() }
        bytes.copyBytes(from: text.utf8)
        return try HTTPHeadParser.parse(UnsafeRawBufferPointer(bytes), maxBodyBytes: maxBody)
    }

    @Test func parsesRequestLineHeadersAndLength() throws {
        let head = try parse("POST /ops/leaky_relu?negative_slope=0.2 HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\nX-A:  b c \r\n\r\n")
        #expect(head.method == "POST")
        #expect(head.path == "/ops/leaky_relu")
        #expect(head.query == "negative_slope=0.2")
        #expect(head.framing == .length(12))
        #expect(head.headers["x-a"] == "b c")
        #expect(head.wantsKeepAlive)
    }

    @Test("Common long values come back as sent, and a value of the same length that differs is its own text")
    func commonValues() throws {
        let head = try parse(
            "POST /x HTTP/1.1\r\nHost: h\r\nContent-Type: application/octet-stream\r\nAccept: application/octet-streaM\r\n"
                + "X-Long: application/json-seq\r\nContent-Length: 0\r\n\r\n")
        #expect(head.headers["content-type"] == "application/octet-stream")
        #expect(head.headers["accept"] == "application/octet-streaM")
        #expect(head.headers["x-long"] == "application/json-seq")
    }

    @Test func acceptsBareLineFeedsAndLeadingEmptyLines() throws {
        let head = try parse("\r\nGET / HTTP/1.1\nHost: x\n\n")
        #expect(head.target == "/")
    }

    @Test("HTTP/1.2 is answered as 1.1; HTTP/2.0 and 0.9 are 505")
    func versions() throws {
        #expect(try parse("GET / HTTP/1.2\r\nHost: x\r\n\r\n").versionMinor == 2)
        #expect(throws: HTTPRequestError.unsupportedVersion("HTTP/2.0")) { try parse("GET / HTTP/2.0\r\nHost: x\r\n\r\n") }
        #expect(throws: HTTPRequestError.unsupportedVersion("HTTP/0.9")) { try parse("GET / HTTP/0.9\r\n\r\n") }
        #expect(throws: HTTPRequestError.malformedRequestLine("the version is not HTTP/x.y")) {
            try parse("GET / http/1.1\r\nHost: x\r\n\r\n")
        }
    }

    @Test func http10KeepAliveOnlyWhenAsked() throws {
        #expect(try parse("GET / HTTP/1.0\r\n\r\n").wantsKeepAlive == false)
        #expect(try parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").wantsKeepAlive)
        #expect(try parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").wantsKeepAlive == false)
    }

    @Test func rejectsMalformedRequestLines() {
        for line in ["GET /\r\n", "GET  / HTTP/1.1\r\n", "G(T / HTTP/1.1\r\n", "GET /a\u{7F} HTTP/1.1\r\n", "GET / HTTP/1.1 x\r\n"] {
            #expect(throws: HTTPRequestError.self) { try parse(line + "Host: x\r\n\r\n") }
        }
    }

    @Test func hostIsRequiredOnceInHTTP11() {
        #expect(throws: HTTPRequestError.missingHost) { try parse("GET / HTTP/1.1\r\n\r\n") }
        #expect(throws: HTTPRequestError.missingHost) { try parse("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") }
    }

    @Test func rejectsMalformedFields() {
        #expect(throws: HTTPRequestError.malformedHeader("obsolete line folding is not accepted")) {
            try parse("GET / HTTP/1.1\r\nHost: x\r\nA: b\r\n c\r\n\r\n")
        }
        #expect(throws: HTTPRequestError.malformedHeader("field name \"Host \" is not a token")) {
            try parse("GET / HTTP/1.1\r\nHost : x\r\n\r\n")
        }
        #expect(throws: HTTPRequestError.malformedHeader("a field has no colon")) { try parse("GET / HTTP/1.1\r\nHost x\r\n\r\n") }
        #expect(throws: HTTPRequestError.malformedHeader("field \"A\" has a control character")) {
            try parse("GET / HTTP/1.1\r\nHost: x\r\nA: b\u{01}\r\n\r\n")
        }
    }

    @Test func framingRules() throws {
        #expect(try parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n").framing == .chunked)
        #expect(try parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\n").framing == .length(5))
        #expect(try parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n").framing == .none)
        #expect(throws: HTTPRequestError.conflictingFraming) {
            try parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n")
        }
        #expect(throws: HTTPRequestError.invalidContentLength("5, 6")) { try parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\n") }
        #expect(throws: HTTPRequestError.invalidContentLength("-1")) { try parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n") }
        #expect(throws: HTTPRequestError.invalidContentLength("+3")) { try parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\n") }
        #expect(throws: HTTPRequestError.unsupportedTransferEncoding("gzip, chunked")) {
            try parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")
        }
        #expect(throws: HTTPRequestError.lengthRequired) { try parse("POST / HTTP/1.1\r\nHost: x\r\n\r\n") }
        #expect(throws: HTTPRequestError.bodyTooLarge(limit: 10)) { try parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n", maxBody: 10) }
        #expect(throws: HTTPRequestError.bodyTooLarge(limit: 10)) {
            try parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n", maxBody: 10)
        }
    }

    @Test("1,000 small fields fit in the 16 KiB head: only its bytes are limited")
    func manySmallFields() throws {
        let fields = (0..<1000).map { "X\($0):y\r\n" }.joined()
        let text = "GET / HTTP/1.1\r\nHost: x\r\n" + fields + "\r\n"
        #expect(text.utf8.count < 16 * 1024)
        #expect(try parse(text).headers.fields.count == 1001)
    }

    @Test("An empty Transfer-Encoding is refused, alone or beside Content-Length")
    func emptyTransferEncoding() {
        #expect(throws: HTTPRequestError.malformedHeader("Transfer-Encoding is empty")) {
            try parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \r\nContent-Length: 3\r\n\r\n")
        }
        #expect(throws: HTTPRequestError.malformedHeader("Transfer-Encoding is empty")) {
            try parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n\r\n")
        }
    }

    @Test("An absolute-form target is read as its path and query (RFC 9112 §3.2.2)")
    func absoluteForm() throws {
        let head = try parse("GET http://example.com:8080/healthz?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n")
        #expect(head.path == "/healthz" && head.query == "x=1")
        #expect(try parse("GET HTTPS://example.com HTTP/1.1\r\nHost: x\r\n\r\n").path == "/")
        #expect(try parse("GET http://example.com?q HTTP/1.1\r\nHost: x\r\n\r\n").path == "/")
        #expect(try parse("GET /a://b HTTP/1.1\r\nHost: x\r\n\r\n").path == "/a://b", "origin form stays as sent")
    }

    @Test func expectContinueNeedsABody() throws {
        #expect(try parse("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n").expectsContinue)
        #expect(try parse("GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n").expectsContinue == false)
    }
}
