import Foundation
import Testing
import TensorTestSupport
@testable import TensorHTTP
@testable import TensorService

/// A JSON answer that the in-flight budget cannot hold whole beside its tensor is streamed in pieces with its
/// Content-Length, and the request's body is let go once decoded: served where it used to be refused, byte for byte
/// the same answer, with everything given back after.
@Suite struct StreamedAnswerTests {
    /// 500,000 float64 values, -2 and 1 in turn: about 2 MB of text and a 4 MB tensor, whose answer at its widest
    /// (25 bytes a value) is 12.5 MB. Under a 12 MiB budget the body and tensor fit, the answer whole never does.
    static let count = 500_000
    static let body = Array(("{\"dtype\":\"float64\",\"shape\":[\(count)],\"data\":["
        + Array(repeating: "-2,1", count: count / 2).joined(separator: ",") + "]}").utf8)
    static let expected = Array(("{\"dtype\":\"float64\",\"shape\":[\(count)],\"data\":["
        + Array(repeating: "-0.02,1.0", count: count / 2).joined(separator: ",") + "]}").utf8)
    static let budget = 12 << 20

    static func post(_ client: RawHTTPClient, version: String = "1.1", headers: String = "") throws -> RawHTTPClient.Response {
        try client.send(
            "POST /ops/leaky_relu HTTP/\(version)\r\nHost: x\r\nContent-Type: application/json\r\n\(headers)Content-Length: \(body.count)\r\n\r\n")
        try client.send(body)
        return try client.readResponse()
    }

    @Test("Streamed over HTTP/1.1 with its Content-Length, the same bytes as a whole answer, and the connection kept")
    func streamedOverHTTP1() throws {
        try withTestServer({ $0.http.maxInflightBytes = Self.budget }) { port, server in
            let client = try RawHTTPClient(port: port)
            let first = try Self.post(client)
            #expect(first.status == 200)
            #expect(first.header("transfer-encoding") == nil && first.header("content-length") == String(Self.expected.count))
            #expect(first.body == Self.expected)
            // Kept alive: the same connection answers again.
            let second = try Self.post(client)
            #expect(second.status == 200 && second.body == Self.expected)
            #expect(eventually { server.http.budget.heldBytes == 0 })
            try expectServerStillServes(port: port)
        }
    }

    @Test("Compressed piece by piece when the client takes gzip: inflated, the same bytes")
    func streamedAndCompressed() throws {
        try withTestServer({ $0.http.maxInflightBytes = Self.budget }) { port in
            let client = try RawHTTPClient(port: port)
            let response = try Self.post(client, headers: "Accept-Encoding: gzip\r\n")
            #expect(response.status == 200 && response.header("content-encoding") == "gzip")
            #expect(response.header("content-length") == String(response.body.count))
            let inflated = try response.body.withUnsafeBytes { try Inflater.inflate($0, coding: .gzip, limit: 64 << 20) }
            #expect(inflated.array == Self.expected)
        }
    }

    @Test("HTTP/1.0 too: the same answer, then the connection closes")
    func http10() throws {
        try withTestServer({ $0.http.maxInflightBytes = Self.budget }) { port, server in
            let client = try RawHTTPClient(port: port)
            let response = try Self.post(client, version: "1.0")
            #expect(response.status == 200 && response.body == Self.expected)
            #expect(client.isClosedByServer())
            #expect(eventually { server.http.budget.heldBytes == 0 })
            try expectServerStillServes(port: port)
        }
    }

    @Test("A client that leaves mid-answer: the stream stops and its budget comes back")
    func clientLeavesMidAnswer() throws {
        try withTestServer({ $0.http.maxInflightBytes = Self.budget }) { port, server in
            let client = try RawHTTPClient(port: port)
            try client.send(
                "POST /ops/leaky_relu HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(Self.body.count)\r\n\r\n")
            try client.send(Self.body)
            _ = try client.readExactly(64)
            client.close()
            #expect(eventually { server.http.budget.heldBytes == 0 })
            try expectServerStillServes(port: port)
        }
    }
}
