import Foundation
import Testing
import TensorKernels
import TensorTestSupport

@Suite struct LeakyReLUEndpointTests {
    func post(_ client: RawHTTPClient, _ target: String = "/ops/leaky_relu", json: String, headers: [(String, String)] = [])
        throws -> RawHTTPClient.Response
    {
        try client.request("POST", target, headers: [("Content-Type", "application/json")] + headers, body: Array(json.utf8))
    }

    @Test func jsonAnswersMirrorTheRequest() throws {
        try withTestServer { port in
            let client = try RawHTTPClient(port: port)
            var response = try post(client, json: #"{"data": [[-2, -1], [0, 1]], "dtype": "float32", "negative_slope": 0.2}"#)
            #expect(response.status == 200)
            #expect(response.header("content-type") == "application/json")
            #expect(response.bodyText == #"{"dtype":"float32","shape":[2,2],"data":[[-0.4,-0.2],[0.0,1.0]]}"#)
            response = try post(client, json: #"{"data": [-2, -1, 0, 1, 2, 3], "shape": [2, 3]}"#)
            #expect(response.bodyText == #"{"dtype":"float32","shape":[2,3],"data":[-0.02,-0.01,0.0,1.0,2.0,3.0]}"#)
            response = try post(client, json: #"{"data": -3.5}"#)
            #expect(response.bodyText == #"{"dtype":"float32","shape":[],"data":-0.035}"#)
            response = try post(client, "/ops/leaky_relu?negative_slope=0.5", json: #"{"data": [-1], "dtype": "float64"}"#)
            #expect(response.bodyText == #"{"dtype":"float64","shape":[1],"data":[-0.5]}"#)
            response = try post(client, json: #"{"data": [NaN, -Infinity, -0.0], "dtype": "bfloat16"}"#)
            #expect(response.bodyText == #"{"dtype":"bfloat16","shape":[3],"data":[NaN,-Infinity,-0.0]}"#)
            response = try post(client, json: #"{"data": [-1, 1], "dtype": "float16"}"#)
            #expect(response.bodyText == #"{"dtype":"float16","shape":[2],"data":[-0.01,1.0]}"#)
        }
    }

    @Test("octet-stream: raw bytes in and out with canonical headers", arguments: DType.allCases)
    func octetStream(dtype: DType) throws {
        try withTestServer { port in
            let client = try RawHTTPClient(port: port)
            let input: [Float] = [-2, -1, 0, 1, 2, -4]
            let body: [UInt8]
            switch dtype {
            case .float16: body = bytes(input.map { Float16($0).bitPattern })
            case .bfloat16: body = bytes(input.map { BFloat16Bits.bits(from: $0) })
            case .float32: body = bytes(input)
            case .float64: body = bytes(input.map(Double.init))
            }
            let response = try client.request(
                "POST", "/ops/leaky_relu?negative_slope=0.5",
                headers: [("Content-Type", "application/octet-stream"), ("X-Tensor-Dtype", dtype.rawValue), ("X-Tensor-Shape", "2,3")],
                body: body)
            #expect(response.status == 200)
            #expect(response.header("x-tensor-dtype") == dtype.rawValue)
            #expect(response.header("x-tensor-shape") == "2,3")
            let expected: [Float] = [-1, -0.5, 0, 1, 2, -2]
            let actual: [Float]
            switch dtype {
            case .float16: actual = values(response.body, as: UInt16.self).map { Float(Float16(bitPattern: $0)) }
            case .bfloat16: actual = values(response.body, as: UInt16.self).map(BFloat16Bits.float(from:))
            case .float32: actual = values(response.body, as: Float.self)
            case .float64: actual = values(response.body, as: Double.self).map(Float.init)
            }
            #expect(actual == expected)
        }
    }

    @Test func octetShapesDefaultAndScalar() throws {
        try withTestServer { port in
            let client = try RawHTTPClient(port: port)
            var response = try client.request(
                "POST", "/ops/leaky_relu", headers: [("Content-Type", "application/octet-stream")], body: bytes([Float(-1), 2, 3]))
            #expect(response.header("x-tensor-shape") == "3")
            #expect(response.header("x-tensor-dtype") == "float32")
            response = try client.request(
                "POST", "/ops/leaky_relu", headers: [("Content-Type", "application/octet-stream"), ("X-Tensor-Shape", "")],
                body: bytes([Float(-1)]))
            #expect(response.status == 200)
            #expect(response.header("x-tensor-shape") == "")
            response = try client.request(
                "POST", "/ops/leaky_relu", headers: [("Content-Type", "application/octet-stream"), ("X-Tensor-Shape", "2,0")])
            #expect(response.status == 200)
            #expect(response.body.isEmpty)
        }
    }

    @Test func acceptPicksTheAnswerFormat() throws {
        try withTestServer { port in
            let client = try RawHTTPClient(port: port)
            var response = try client.request(
                "POST", "/ops/leaky_relu",
                headers: [("Content-Type", "application/octet-stream"), ("X-Tensor-Shape", "2,1"), ("Accept", "application/json")],
                body: bytes([Float(-1), 2]))
            #expect(response.bodyText == #"{"dtype":"float32","shape":[2,1],"data":[[-0.01],[2.0]]}"#)
            response = try client.request(
                "POST", "/ops/leaky_relu",
                headers: [("Content-Type", "application/octet-stream"), ("X-Tensor-Shape", ""), ("Accept", "application/json")],
                body: bytes([Float(-1)]))
            #expect(response.bodyText == #"{"dtype":"float32","shape":[],"data":-0.01}"#)
            response = try post(
                client, json: #"{"data": [[-1, 2]], "dtype": "float64"}"#,
                headers: [("Accept", "application/json;q=0.5, application/octet-stream")])
            #expect(response.header("content-type") == "application/octet-stream")
            #expect(response.header("x-tensor-shape") == "1,2")
            #expect(values(response.body, as: Double.self) == [-0.01, 2])
            response = try post(client, json: #"{"data": [1]}"#, headers: [("Accept", "*/*")])
            #expect(response.header("content-type") == "application/json")
            response = try post(client, json: #"{"data": [1]}"#, headers: [("Accept", "application/*, application/json;q=0")])
            #expect(response.header("content-type") == "application/octet-stream")
        }
    }

    @Test("Each client error: status, problem+json, and the server serves the next request")
    func clientErrors() throws {
        try withTestServer { port in
            let octet = ("Content-Type", "application/octet-stream")
            let json = ("Content-Type", "application/json")
            let cases: [(String, String, [(String, String)], String, Int, String, String)] = [
                ("POST", "/ops/leaky_relu", [json], #"{"data": [[1], [2, 3]]}"#, 400, "malformed-tensor", "ragged"),
                ("POST", "/ops/leaky_relu", [json], #"{"data": [1, }"#, 400, "malformed-tensor", "byte 13"),
                ("POST", "/ops/leaky_relu", [json], #"{"data": [1], "dtype": "int32"}"#, 422, "unsupported-dtype", "int32"),
                ("POST", "/ops/leaky_relu", [json], #"{"data": [1], "dtype": "float8"}"#, 400, "malformed-tensor", "float8"),
                ("POST", "/ops/leaky_relu?negative_slope=0.1", [json], #"{"data": [1], "negative_slope": 0.2}"#, 400, "conflicting-negative-slope", "0.1"),
                ("POST", "/ops/leaky_relu?negative_slope=nan", [json], #"{"data": [1]}"#, 400, "invalid-negative-slope", "nan"),
                ("POST", "/ops/leaky_relu?negative_slope=abc", [json], #"{"data": [1]}"#, 400, "invalid-negative-slope", "abc"),
                ("POST", "/ops/leaky_relu?slope=0.2", [json], #"{"data": [1]}"#, 400, "unknown-parameter", "the slope is negative_slope"),
                ("POST", "/ops/leaky_relu?alpha=0.2&negative_slope=0.1", [octet], "abcd", 400, "unknown-parameter", "alpha"),
                ("POST", "/ops/leaky_relu", [json], #"{"data": [1], "slope": 0.2}"#, 400, "malformed-tensor", #"the slope is "negative_slope""#),
                ("POST", "/ops/leaky_relu", [json], #"{"data": [1], "extra": 1}"#, 400, "malformed-tensor", #""data", "shape", "dtype""#),
                ("POST", "/ops/leaky_relu", [json], "[1, 2, 3]", 400, "malformed-tensor", #"{"data": [...]}"#),
                ("POST", "/ops/leaky_relu", [octet, ("X-Tensor-Dtype", "uint8")], "abcd", 422, "unsupported-dtype", "uint8"),
                ("POST", "/ops/leaky_relu", [octet, ("X-Tensor-Shape", "2,2")], "abcd", 400, "malformed-tensor", "needs 16 bytes"),
                ("POST", "/ops/leaky_relu", [octet], "abc", 400, "malformed-tensor", "whole number"),
                ("POST", "/ops/leaky_relu", [octet, ("X-Tensor-Shape", "2,x")], "abcd", 400, "malformed-tensor", "dimension 1"),
                ("POST", "/ops/leaky_relu", [octet, ("X-Tensor-Shape", "4294967296,4294967296")], "abcd", 400, "malformed-tensor", "64 bits"),
                ("POST", "/ops/leaky_relu", [], "{}", 415, "unsupported-media-type", "Content-Type"),
                ("POST", "/ops/leaky_relu", [("Content-Type", "text/plain")], "{}", 415, "unsupported-media-type", "text/plain"),
                ("POST", "/ops/leaky_relu", [json, ("Content-Encoding", "br")], "{}", 415, "unsupported-media-type", "br"),
                ("POST", "/ops/leaky_relu", [json, ("Accept", "text/html")], "{}", 406, "not-acceptable", "Accept"),
                ("POST", "/ops/leaky_relu", [octet, ("X-Tensor-Shape", "1000000000,0"), ("Accept", "application/json")], "", 406, "not-acceptable", "nested"),
                ("GET", "/nowhere", [], "", 404, "not-found", "/nowhere"),
                ("GET", "/ops/leaky_relu", [], "", 405, "method-not-allowed", "POST"),
                ("DELETE", "/healthz", [], "", 405, "method-not-allowed", "GET"),
            ]
            for (method, target, headers, body, status, type, detail) in cases {
                let client = try RawHTTPClient(port: port)
                let response = try client.request(method, target, headers: headers, body: Array(body.utf8))
                expectProblem(response, status: status, type: type, detailContains: detail)
                if status == 405 { #expect(response.header("allow") != nil) }
                try expectServerStillServes(port: port)
            }
        }
    }

    @Test func nanInAndOutOfEveryDtype() throws {
        try withTestServer { port in
            let client = try RawHTTPClient(port: port)
            for dtype in DType.allCases {
                let response = try post(client, json: #"{"data": [NaN, Infinity, -Infinity], "dtype": "\#(dtype.rawValue)"}"#)
                #expect(response.bodyText.hasSuffix(#""data":[NaN,Infinity,-Infinity]}"#), "\(dtype)")
            }
        }
    }
}
