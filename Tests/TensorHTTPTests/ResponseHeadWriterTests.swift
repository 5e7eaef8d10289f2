import Testing
@testable import TensorHTTP

@Suite struct ResponseHeadWriterTests {
    @Test func writesStatusFieldsAndFraming() {
        let response = HTTPResponse(
            status: 404, contentType: "application/problem+json", body: Array("{}".utf8), headers: [("X-Request-Id", "r1")])
        let before = HTTPDate.now()
        let text = String(decoding: ResponseHeadWriter.head(for: response, keepAlive: false, clientMinorVersion: 1), as: UTF8.self)
        let after = HTTPDate.now()
        // The second may turn while the head is written.
        let expected = [before, after].map { date in
            "HTTP/1.1 404 Not Found\r\nContent-Type: application/problem+json\r\nX-Request-Id: r1\r\n"
                + "Content-Length: 2\r\nDate: \(date)\r\nServer: tensor-service\r\nConnection: close\r\n\r\n"
        }
        #expect(expected.contains(text))
    }

    @Test func keepAliveIsSaidOnlyToHTTP10() {
        let response = HTTPResponse(status: 200, body: [.bytes(Array(repeating: 0, count: 1_234_567))])
        let head11 = String(decoding: ResponseHeadWriter.head(for: response, keepAlive: true, clientMinorVersion: 1), as: UTF8.self)
        let head10 = String(decoding: ResponseHeadWriter.head(for: response, keepAlive: true, clientMinorVersion: 0), as: UTF8.self)
        #expect(head11.hasPrefix("HTTP/1.1 200 OK\r\nContent-Length: 1234567\r\n"))
        #expect(!head11.contains("Connection:"))
        #expect(head10.hasSuffix("Connection: keep-alive\r\n\r\n"))
        let empty = HTTPResponse(status: 204)
        #expect(String(decoding: ResponseHeadWriter.head(for: empty, keepAlive: true, clientMinorVersion: 1), as: UTF8.self)
            .contains("Content-Length: 0\r\n"))
    }
}
