import Foundation
import Testing
import TensorTestSupport

@Suite struct ObservabilityTests {
    /// The value of one sample line in Prometheus text, e.g. `name{a="b"} 3`.
    static func sample(_ text: String, _ prefix: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(prefix + " ") }.flatMap { Double($0.split(separator: " ").last!) }
    }

    @Test func metricsCountTheTrafficSent() throws {
        try withTestServer { port in
            let client = try RawHTTPClient(port: port)
            for _ in 0..<3 {
                _ = try client.request("POST", "/ops/leaky_relu", headers: [("Content-Type", "application/json")], body: Array(#"{"data": [-1, 1, 2]}"#.utf8))
            }
            _ = try client.request("GET", "/nowhere")
            for method in ["BREW", "WHEN", "XYZZY"] { _ = try client.request(method, "/healthz") }
            _ = try client.request(
                "POST", "/ops/leaky_relu", headers: [("Content-Type", "application/octet-stream"), ("X-Tensor-Dtype", "float16")],
                body: [0, 0, 0, 0])
            let response = try client.request("GET", "/metrics")
            #expect(response.status == 200)
            #expect(response.header("content-type")?.hasPrefix("text/plain") == true)
            let text = response.bodyText
            #expect(Self.sample(text, #"tensor_service_http_requests_total{method="POST",route="/ops/leaky_relu",status="200"}"#) == 4)
            #expect(Self.sample(text, #"tensor_service_http_requests_total{method="GET",route="unmatched",status="404"}"#) == 1)
            #expect(Self.sample(text, #"tensor_service_http_requests_total{method="other",route="/healthz",status="405"}"#) == 3,
                "unknown methods share one label")
            #expect(!text.contains("BREW"))
            #expect(Self.sample(text, #"tensor_service_elements_processed_total{dtype="float32"}"#) == 9)
            #expect(Self.sample(text, #"tensor_service_elements_processed_total{dtype="float16"}"#) == 2)
            #expect(Self.sample(text, "tensor_service_open_connections") == 1)
            #expect(Self.sample(text, "tensor_service_queue_depth") == 0)
            #expect(Self.sample(text, "tensor_service_inflight_bytes") == 0)
            #expect((Self.sample(text, "tensor_service_received_bytes_total") ?? 0) > 100)
            #expect((Self.sample(text, "tensor_service_sent_bytes_total") ?? 0) > 100)
            #expect(text.contains(#"tensor_service_http_request_duration_seconds_bucket{route="/ops/leaky_relu",le="#))
            #expect(Self.sample(text, #"tensor_service_http_request_duration_seconds_count{route="/ops/leaky_relu"}"#) == 4)
        }
    }

    @Test func requestIDsAreEchoedOrMade() throws {
        try withTestServer { port in
            let client = try RawHTTPClient(port: port)
            #expect(try client.request("GET", "/healthz", headers: [("X-Request-Id", "abc-123")]).header("x-request-id") == "abc-123")
            let made = try client.request("GET", "/healthz").header("x-request-id") ?? ""
            #expect(made.count == 32 && made.allSatisfy(\.isHexDigit))
            let another = try client.request("GET", "/healthz").header("x-request-id") ?? ""
            #expect(another != made)
            // One random prefix per process, then a counter (shared with tests running alongside, so only rising).
            #expect(another.prefix(16) == made.prefix(16))
            let madeCount = UInt64(made.suffix(16), radix: 16), anotherCount = UInt64(another.suffix(16), radix: 16)
            #expect(madeCount != nil && anotherCount != nil && anotherCount! > madeCount!)
            let error = try client.request("GET", "/nowhere", headers: [("X-Request-Id", "e-1")])
            #expect(error.header("x-request-id") == "e-1", "errors carry it too")
        }
    }
}
