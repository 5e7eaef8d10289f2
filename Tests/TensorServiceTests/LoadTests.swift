import Dispatch
import Foundation
import Testing
import TensorKernels
import TensorTestSupport

@Suite struct LoadTests {
    @Test("64 concurrent clients × 20 requests, every answer correct")
    func concurrentClients() throws {
        try withTestServer({ $0.workers = 2 }) { port in
            let failures = Failures()
            DispatchQueue.concurrentPerform(iterations: 64) { client in
                do {
                    let connection = try RawHTTPClient(port: port)
                    for index in 0..<20 {
                        let value = Float(client * 100 + index)
                        let input: [Float] = [-value, value, -0.5]
                        let response = try connection.request(
                            "POST", "/ops/leaky_relu?negative_slope=0.25", headers: [("Content-Type", "application/octet-stream")],
                            body: bytes(input))
                        if response.status != 200 || values(response.body, as: Float.self) != [-value * 0.25, value, -0.125] {
                            failures.record("client \(client) request \(index): \(response)")
                        }
                    }
                } catch {
                    failures.record("client \(client): \(error)")
                }
            }
            #expect(failures.messages.isEmpty, "\(failures.messages.prefix(3))")
        }
    }

    @Test("A 64 MiB float32 request is computed correctly")
    func largeRequest() throws {
        try withTestServer({ $0.http.maxBodyBytes = 128 << 20 }) { port in
            let count = 16 << 20
            var input = [Float](repeating: 0, count: count)
            for index in 0..<count { input[index] = Float(index % 1000) - 500 }
            let client = try RawHTTPClient(port: port, timeout: .seconds(60))
            let response = try client.request(
                "POST", "/ops/leaky_relu", headers: [("Content-Type", "application/octet-stream")], body: bytes(input))
            #expect(response.status == 200)
            let output = values(response.body, as: Float.self)
            #expect(output.count == count)
            let wrong = output.indices.first { output[$0] != ReferenceKernel.float32(input[$0], slope: 0.01) }
            #expect(wrong == nil, "first wrong element \(wrong ?? -1)")
        }
    }
}

final class Failures: @unchecked Sendable {
    // @unchecked Sendable: `messages` is only touched under `lock`.
    private let lock = NSLock()
    private var stored: [String] = []

    func record(_ message: String) { lock.withLock { stored.append(message) } }
    var messages: [String] { lock.withLock { stored } }
}
