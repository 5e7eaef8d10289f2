import Foundation
import Testing
import TensorCodecs
import TensorHTTP
import TensorKernels
import TensorService
import TensorTestSupport

/// `.npy`, the 3 × 3 negotiation matrix, and gzip/deflate, over real sockets.
@Suite struct FormatsAndCompressionTests {
    static let input: [Float] = [-2, -1, 0, 1, 2, -4]
    static let expected: [Float] = [-0.02, -0.01, 0, 1, 2, -0.04]

    /// The same 2×3 float32 tensor in each format, with its headers.
    static func request(in format: String) -> (headers: [(String, String)], body: [UInt8]) {
        switch format {
        case "application/json":
            return ([("Content-Type", format)], Array(#"{"data": [[-2, -1, 0], [1, 2, -4]]}"#.utf8))
        case "application/octet-stream":
            return ([("Content-Type", format), ("X-Tensor-Shape", "2,3")], bytes(input))
        default:
            return ([("Content-Type", format)], NPYHeader(dtype: .float32, shape: [2, 3]).encoded() + bytes(input))
        }
    }

    /// Reads a 2×3 float32 answer in any format back to values.
    static func values(of response: RawHTTPClient.Response) throws -> [Float] {
        switch response.header("content-type") {
        case "application/json":
            let data = try #require(response.json?["data"] as? [[NSNumber]])
            return data.flatMap { $0.map(\.floatValue) }
        case "application/octet-stream":
            #expect(response.header("x-tensor-shape") == "2,3")
            return TensorServiceTests.values(response.body, as: Float.self)
        default:
            let header = try response.body.withUnsafeBytes { try NPYHeader.parse($0) }
            #expect(header.shape == [2, 3] && header.dtype == .float32)
            return TensorServiceTests.values(Array(response.body[header.dataOffset...]), as: Float.self)
        }
    }

    @Test("Every format in, every format out", arguments: TensorFormat.allCases.map(\.mediaType))
    func negotiationMatrix(inFormat: String) throws {
        try withTestServer { port in
            let client = try RawHTTPClient(port: port)
            for outFormat in TensorFormat.allCases.map(\.mediaType) {
                let (headers, body) = Self.request(in: inFormat)
                let response = try client.request("POST", "/ops/leaky_relu", headers: headers + [("Accept", outFormat)], body: body)
                #expect(response.status == 200, "\(inFormat) → \(outFormat): \(response)")
                #expect(response.header("content-type") == outFormat)
                #expect(response.header("vary") == "Accept, Accept-Encoding")
                #expect(try Self.values(of: response) == Self.expected, "\(inFormat) → \(outFormat)")
            }
        }
    }

    @Test func qValuesPickTheFormat() throws {
        try withTestServer { port in
            let client = try RawHTTPClient(port: port)
            let (headers, body) = Self.request(in: "application/json")
            var response = try client.request(
                "POST", "/ops/leaky_relu", headers: headers + [("Accept", "application/json;q=0.2, application/x-npy;q=0.9, */*;q=0.1")],
                body: body)
            #expect(response.header("content-type") == "application/x-npy")
            response = try client.request(
                "POST", "/ops/leaky_relu", headers: headers + [("Accept", "application/*;q=0.5, application/json;q=0")], body: body)
            #expect(response.header("content-type") == "application/octet-stream")
        }
    }

    @Test func npyKeepsByteOrderAndMemoryOrder() throws {
        try withTestServer { port in
            let client = try RawHTTPClient(port: port)
            // [[-2, -1, 0], [1, 2, -4]] in Fortran order, big-endian float32.
            let fortran: [Float] = [-2, 1, -1, 2, 0, -4]
            let header = NPYHeader(dtype: .float32, isBigEndian: true, isFortranOrder: true, shape: [2, 3])
            let body = header.encoded() + bytes(fortran.map { $0.bitPattern.bigEndian })
            var response = try client.request("POST", "/ops/leaky_relu", headers: [("Content-Type", "application/x-npy")], body: body)
            let answer = try response.body.withUnsafeBytes { try NPYHeader.parse($0) }
            #expect(answer.isBigEndian && answer.isFortranOrder && answer.shape == [2, 3])
            let out = TensorServiceTests.values(Array(response.body[answer.dataOffset...]), as: UInt32.self).map { Float(bitPattern: UInt32(bigEndian: $0)) }
            #expect(out == [-0.02, 1, -0.01, 2, 0, -0.04])
            response = try client.request(
                "POST", "/ops/leaky_relu", headers: [("Content-Type", "application/x-npy"), ("Accept", "application/json")], body: body)
            #expect(response.bodyText == #"{"dtype":"float32","shape":[2,3],"data":[[-0.02,-0.01,0.0],[1.0,2.0,-0.04]]}"#)
        }
    }

    @Test func npyErrors() throws {
        try withTestServer { port in
            let npy = ("Content-Type", "application/x-npy")
            let cases: [([(String, String)], [UInt8], Int, String)] = [
                ([npy], Array("not an npy".utf8), 400, "magic"),
                ([npy], NPYHeader(dtype: .float32, shape: [3]).encoded() + [0, 0], 400, "needs 12 data bytes"),
                ([("Content-Type", "application/json"), ("Accept", "application/x-npy")], Array(#"{"data": [1], "dtype": "bfloat16"}"#.utf8), 406, "bfloat16"),
            ]
            for (headers, body, status, fragment) in cases {
                let response = try RawHTTPClient(port: port).request("POST", "/ops/leaky_relu", headers: headers, body: body)
                expectProblem(response, status: status, type: status == 406 ? "not-acceptable" : "malformed-tensor", detailContains: fragment)
                try expectServerStillServes(port: port)
            }
        }
    }

    @Test func gzipAndDeflateBodiesAndGzipAnswers() throws {
        try withTestServer { port in
            let client = try RawHTTPClient(port: port)
            let values = (0..<1000).map { Float($0) - 500 }
            let plain = bytes(values)
            let gzipped = Deflater.gzip([.bytes(plain)], totalCount: plain.count)
            var response = try client.request(
                "POST", "/ops/leaky_relu",
                headers: [("Content-Type", "application/octet-stream"), ("Content-Encoding", "gzip"), ("Accept-Encoding", "gzip")],
                body: gzipped)
            #expect(response.status == 200)
            #expect(response.header("content-encoding") == "gzip")
            let inflated = try response.body.withUnsafeBytes { try Inflater.inflate($0, coding: .gzip, limit: 1 << 20) }.array
            #expect(TensorServiceTests.values(inflated, as: Float.self) == values.map { ReferenceKernel.float32($0, slope: 0.01) })
            // zlib-wrapped deflate of {"data": [-1]} (python: zlib.compress(b'{"data": [-1]}')), small answer stays plain.
            let zlib: [UInt8] = [0x78, 0x9C, 0xAB, 0x56, 0x4A, 0x49, 0x2C, 0x49, 0x54, 0xB2, 0x52, 0x88, 0xD6, 0x35, 0x8C, 0xAD, 0x05, 0x00, 0x20, 0xF9, 0x04, 0x47]
            response = try client.request(
                "POST", "/ops/leaky_relu",
                headers: [("Content-Type", "application/json"), ("Content-Encoding", "deflate"), ("Accept-Encoding", "gzip")], body: zlib)
            #expect(response.bodyText == #"{"dtype":"float32","shape":[1],"data":[-0.01]}"#)
            #expect(response.header("content-encoding") == nil)
            response = try client.request(
                "POST", "/ops/leaky_relu",
                headers: [("Content-Type", "application/octet-stream"), ("Accept-Encoding", "gzip;q=0, identity")], body: plain)
            #expect(response.header("content-encoding") == nil)
        }
    }

    @Test("A gzip bomb is a 413 after the limit's worth of work, and the server serves the next request")
    func gzipBomb() throws {
        try withTestServer({ $0.http.maxBodyBytes = 1 << 20 }) { port in
            let zeros = [UInt8](repeating: 0, count: 64 << 20)
            let bomb = Deflater.gzip([.bytes(zeros)], totalCount: zeros.count, level: 9)
            let response = try RawHTTPClient(port: port).request(
                "POST", "/ops/leaky_relu", headers: [("Content-Type", "application/octet-stream"), ("Content-Encoding", "gzip")], body: bomb)
            expectProblem(response, status: 413, type: "body-too-large")
            try expectServerStillServes(port: port)
        }
    }

    @Test func corruptCompressedBodiesAndUnknownCodings() throws {
        try withTestServer { port in
            var response = try RawHTTPClient(port: port).request(
                "POST", "/ops/leaky_relu", headers: [("Content-Type", "application/json"), ("Content-Encoding", "gzip")],
                body: Array("not gzip".utf8))
            expectProblem(response, status: 400, type: "malformed-compressed-body")
            try expectServerStillServes(port: port)
            response = try RawHTTPClient(port: port).request(
                "POST", "/ops/leaky_relu", headers: [("Content-Type", "application/json"), ("Content-Encoding", "br")], body: Array("{}".utf8))
            expectProblem(response, status: 415, type: "unsupported-media-type", detailContains: "br")
            try expectServerStillServes(port: port)
        }
    }
}
