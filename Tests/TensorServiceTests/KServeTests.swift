import Foundation
import Testing
import TensorTestSupport

/// The Open Inference Protocol routes over real sockets.
@Suite struct KServeTests {
    @Test func healthAndMetadata() throws {
        try withTestServer { port, server in
            let client = try RawHTTPClient(port: port)
            #expect(try client.request("GET", "/v2/health/live").status == 200)
            #expect(try client.request("GET", "/v2/health/ready").status == 200)
            let metadata = try client.request("GET", "/v2").json ?? [:]
            #expect(metadata["name"] as? String == "tensor-service")
            #expect((metadata["extensions"] as? [String])?.contains("binary_tensor_data") == true)
            for path in ["/v2/models/leaky_relu", "/v2/models/leaky_relu/versions/1"] {
                let model = try client.request("GET", path).json ?? [:]
                #expect(model["name"] as? String == "leaky_relu")
                #expect((model["inputs"] as? [[String: Any]])?.first?["name"] as? String == "input")
                #expect((model["outputs"] as? [[String: Any]])?.first?["name"] as? String == "output")
            }
            #expect(try client.request("GET", "/v2/models/leaky_relu/ready").status == 200)
            #expect(try client.request("GET", "/v2/models/leaky_relu/versions/1/ready").status == 200)
            server.service.markDraining()
            #expect(try client.request("GET", "/v2/health/ready").status == 503)
            #expect(try client.request("GET", "/v2/health/live").status == 200)
        }
    }

    @Test("Model configuration and statistics: every route form, counts that follow the inferences")
    func configurationAndStatistics() throws {
        try withTestServer { port in
            let client = try RawHTTPClient(port: port)
            for path in ["/v2/models/leaky_relu/config", "/v2/models/leaky_relu/versions/1/config"] {
                let config = try client.request("GET", path).json ?? [:]
                #expect(config["name"] as? String == "leaky_relu" && config["max_batch_size"] as? Int == 0)
            }
            #expect(try client.request("GET", "/v2/models/other/config").status == 404)
            let body = Array(#"{"inputs":[{"name":"input","shape":[2],"datatype":"FP32","data":[-1,2]}]}"#.utf8)
            #expect(try client.request("POST", "/v2/models/leaky_relu/infer", headers: [("Content-Type", "application/json")], body: body).status == 200)
            for path in ["/v2/models/stats", "/v2/models/leaky_relu/stats", "/v2/models/leaky_relu/versions/1/stats"] {
                let stats = (try client.request("GET", path).json?["model_stats"] as? [[String: Any]])?.first ?? [:]
                #expect(stats["inference_count"] as? Int == 1, "\(path)")
                let success = (stats["inference_stats"] as? [String: Any])?["success"] as? [String: Any]
                #expect(success?["count"] as? Int == 1)
            }
            let extensions = try client.request("GET", "/v2").json?["extensions"] as? [String] ?? []
            #expect(Set(extensions).isSuperset(of: ["model_configuration", "statistics"]))
        }
    }

    @Test func inferJSONAndBinary() throws {
        try withTestServer { port in
            let client = try RawHTTPClient(port: port)
            var response = try client.request(
                "POST", "/v2/models/leaky_relu/infer",
                body: Array(#"{"id": "7", "inputs": [{"name": "input", "shape": [2, 2], "datatype": "FP32", "data": [[-1, 2], [-3, 4]]}]}"#.utf8))
            #expect(response.status == 200)
            let outputs = response.json?["outputs"] as? [[String: Any]]
            #expect(response.json?["id"] as? String == "7")
            #expect(outputs?.first?["shape"] as? [Int] == [2, 2])
            #expect((outputs?.first?["data"] as? [NSNumber])?.map(\.doubleValue) == [-0.01, 2, -0.03, 4])
            let header = Array(#"{"inputs":[{"name":"input","shape":[2],"datatype":"FP64","parameters":{"binary_data_size":16}}],"parameters":{"binary_data_output":true,"negative_slope":0.5}}"#.utf8)
            response = try client.request(
                "POST", "/v2/models/leaky_relu/versions/1/infer", headers: [("Inference-Header-Content-Length", "\(header.count)")],
                body: header + bytes([-4.0, 4.0]))
            #expect(response.status == 200)
            let length = try #require(Int(response.header("inference-header-content-length") ?? ""))
            let json = try JSONSerialization.jsonObject(with: Data(response.body[..<length])) as? [String: Any]
            let output = (json?["outputs"] as? [[String: Any]])?.first
            #expect((output?["parameters"] as? [String: Any])?["binary_data_size"] as? Int == 16)
            #expect(values(Array(response.body[length...]), as: Double.self) == [-2, 4])
        }
    }

    @Test("Each protocol error: {\"error\": ...}, its status, and the server serves the next request")
    func errors() throws {
        try withTestServer { port in
            let infer = "/v2/models/leaky_relu/infer"
            let cases: [(String, String, [(String, String)], String, Int, String)] = [
                ("POST", infer, [], #"{"inputs": [{"#, 400, "malformed JSON"),
                ("POST", infer, [], #"{"inputs": [{"name": "input", "shape": [1], "datatype": "INT8", "data": [1]}]}"#, 400, "INT8"),
                ("POST", infer, [], #"{"inputs": [{"name": "input", "shape": [2], "datatype": "FP32", "data": [1]}]}"#, 400, "needs 2"),
                ("POST", infer, [("Inference-Header-Content-Length", "100")], #"{"inputs": []}"#, 400, "larger than the body"),
                ("POST", infer, [("Inference-Header-Content-Length", "x")], "{}", 400, "Inference-Header-Content-Length"),
                ("POST", infer, [], #"{"inputs": [{"name": "input", "shape": [1], "datatype": "FP32", "data": [1]}], "outputs": [{"name": "y"}]}"#, 400, "unknown output"),
                ("POST", "/v2/models/resnet/infer", [], "{}", 404, "resnet"),
                ("POST", "/v2/models/leaky_relu/versions/2/infer", [], "{}", 404, "version"),
                ("GET", "/v2/models/other", [], "", 404, "other"),
                ("GET", infer, [], "", 405, "POST"),
            ]
            for (method, path, headers, body, status, fragment) in cases {
                let response = try RawHTTPClient(port: port).request(method, path, headers: headers, body: Array(body.utf8))
                #expect(response.status == status, "\(path): \(response)")
                #expect(response.header("content-type") == "application/json")
                let message = response.json?["error"] as? String ?? ""
                #expect(message.contains(fragment), "\(message) should mention \(fragment)")
                #expect(response.json?.count == 1, "only the error member")
                try expectServerStillServes(port: port)
            }
        }
    }
}
