import Dispatch
import Foundation
import Testing
import TensorHTTP
import TensorTestSupport

/// The contract's "HTTP behaviour" section over real sockets, where the service has a part in it: its headers, its
/// problem+json for transport errors, its limits and budget. The transport's own rules (keep-alive, pipelining,
/// chunked bodies, `100 Continue`, HTTP/1.0, timeouts) are tested once, at the transport: `HTTPConnectionTests`.
@Suite struct HTTPBehaviourTests {

    @Test func everyAnswerHasLengthDateAndServer() throws {
        try withTestServer { port in
            let response = try RawHTTPClient(port: port).request("GET", "/healthz")
            #expect(response.status == 200)
            #expect(response.header("content-length") == "15")
            #expect(response.header("server") == "tensor-service")
            #expect(response.header("date")?.hasSuffix(" GMT") == true)
        }
    }

    @Test("Expect: 100-continue over the limit gets 413 before the body")
    func expectContinueOverTheLimit() throws {
        try withTestServer({ $0.http.maxBodyBytes = 1000 }) { port in
            let client = try RawHTTPClient(port: port)
            try client.send(
                "POST /ops/leaky_relu HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
                    + "Content-Length: 1001\r\n\r\n")
            let response = try client.readResponse()
            expectProblem(response, status: 413, type: "body-too-large", detailContains: "1000")
            #expect(response.header("connection") == "close")
            try expectServerStillServes(port: port)
        }
    }

    @Test func expectContinueWithAWrongContentTypeGetsTheFinalError() throws {
        try withTestServer { port in
            let client = try RawHTTPClient(port: port)
            try client.send(
                "POST /ops/leaky_relu HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n")
            expectProblem(try client.readResponse(), status: 415, type: "unsupported-media-type")
        }
    }

    @Test("Transport errors: status, problem+json, close, and the server still serves")
    func transportErrors() throws {
        try withTestServer({ $0.http.maxBodyBytes = 64 }) { port in
            let cases: [(String, Int, String)] = [
                ("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, "http-version-not-supported"),
                ("GET /healthz HTTP/1.1\r\n\r\n", 400, "malformed-request"),
                ("GARBAGE\r\n\r\n", 400, "malformed-request"),
                ("POST /ops/leaky_relu HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\r\n", 411, "length-required"),
                ("POST /ops/leaky_relu HTTP/1.1\r\nHost: x\r\nContent-Length: 65\r\n\r\n", 413, "body-too-large"),
                ("POST /ops/leaky_relu HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n41\r\n"
                    + String(repeating: "a", count: 65) + "\r\n0\r\n\r\n", 413, "body-too-large"),
                ("POST /ops/leaky_relu HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400, "malformed-request"),
                ("POST /ops/leaky_relu HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "unsupported-transfer-encoding"),
                ("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 17_000) + "\r\n\r\n", 431, "headers-too-large"),
            ]
            for (request, status, type) in cases {
                let client = try RawHTTPClient(port: port)
                try client.send(request)
                let response = try client.readResponse()
                expectProblem(response, status: status, type: type)
                #expect(response.header("connection") == "close", "\(status)")
                try expectServerStillServes(port: port)
            }
        }
    }

    @Test func partialRequestGets408AtTheReadTimeout() throws {
        try withTestServer({ $0.http.readTimeout = .milliseconds(200) }) { port in
            let client = try RawHTTPClient(port: port)
            try client.send("POST /ops/leaky_relu HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\nabc")
            let response = try client.readResponse()
            expectProblem(response, status: 408, type: "request-timeout")
            #expect(client.isClosedByServer())
            let silent = try RawHTTPClient(port: port)
            #expect(silent.isClosedByServer(), "a connection that sends nothing is closed without a word")
            try expectServerStillServes(port: port)
        }
    }

    @Test("--max-queue 0: an idle server computes any tensor; with every worker busy a tensor that needs one gets 503")
    func zeroQueueServesUntilTheWorkersAreBusy() throws {
        try withTestServer({ $0.maxQueue = 0 }) { port, server in
            let client = try RawHTTPClient(port: port)
            // Far above the service's in-place limit of a few KiB, and compressed: both need a worker.
            let large = [UInt8](repeating: 0, count: 64 * 1024)
            let octet = [("Content-Type", "application/octet-stream")]
            #expect(try client.request("POST", "/ops/leaky_relu", headers: octet, body: large).status == 200)
            let gzipped = Deflater.gzip([.bytes(large)], totalCount: large.count)
            #expect(try client.request(
                "POST", "/ops/leaky_relu", headers: octet + [("Content-Encoding", "gzip")], body: gzipped).status == 200)
            // Occupy both workers. A worker counts itself free a moment after its last answer has left, so each
            // blocking job is retried until taken.
            let gate = DispatchSemaphore(value: 0)
            let started = DispatchSemaphore(value: 0)
            for _ in 0..<2 {
                var taken = false
                for _ in 0..<10_000 where !taken {
                    taken = server.service.pool.submit { started.signal(); gate.wait() } == .accepted
                    if !taken { usleep(1000) }
                }
                #expect(taken)
            }
            #expect(started.wait(timeout: .now() + 30) == .success)
            #expect(started.wait(timeout: .now() + 30) == .success)
            let refused = try client.request("POST", "/ops/leaky_relu", headers: octet, body: large)
            expectProblem(refused, status: 503, type: "unavailable")
            #expect(refused.header("retry-after") == "1")
            gate.signal()
            gate.signal()
            var status = 0
            for _ in 0..<1000 where status != 200 {
                status = try client.request("POST", "/ops/leaky_relu", headers: octet, body: large).status
                if status != 200 { usleep(5000) }
            }
            #expect(status == 200, "served again once a worker is free")
        }
    }

    @Test("A body larger than the whole in-flight budget is 413 naming the flag, before it is read, never a retry")
    func inflightBudgetAnswers413ForABodyThatCanNeverFit() throws {
        // 200 bytes: a small JSON request's body, tensor and answer text (about 140 bytes) fit, as the check after
        // needs.
        try withTestServer({ $0.http.maxInflightBytes = 200 }) { port in
            let client = try RawHTTPClient(port: port)
            try client.send("POST /ops/leaky_relu HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 201\r\n\r\n")
            let response = try client.readResponse()
            expectProblem(response, status: 413, type: "exceeds-memory-budget", detailContains: "--max-inflight-bytes")
            #expect(response.header("retry-after") == nil)
            try expectServerStillServes(port: port)
        }
    }

    @Test("A body that fits the budget but not beside the bodies held now is 503 with Retry-After, before it is read")
    func inflightBudgetAnswers503WhileOthersHoldIt() throws {
        try withTestServer({ $0.http.maxInflightBytes = 300 }) { port, server in
            // 200 bytes of a declared 250 held by a slow upload: its body is reserved whole from its head.
            let holder = try RawHTTPClient(port: port)
            try holder.send("POST /ops/leaky_relu HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 250\r\n\r\n")
            #expect(eventually { server.http.budget.heldBytes == 250 })
            let client = try RawHTTPClient(port: port)
            try client.send("POST /ops/leaky_relu HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n")
            let response = try client.readResponse()
            expectProblem(response, status: 503, type: "overloaded")
            #expect(response.header("retry-after") == "1")
            holder.close()
            #expect(eventually { server.http.budget.heldBytes == 0 })
            try expectServerStillServes(port: port)
        }
    }

    @Test("A chunked body draws on the in-flight budget as it grows: 413 once past all of it, and all is given back")
    func inflightBudgetCountsChunkedBodies() throws {
        try withTestServer({ $0.http.maxInflightBytes = 200 }) { port, server in
            let head = "POST /ops/leaky_relu HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            let within = try RawHTTPClient(port: port)
            let json = #"{"data": [-1, 1]}"#
            try within.send(head + String(json.utf8.count, radix: 16) + "\r\n" + json + "\r\n0\r\n\r\n")
            #expect(try within.readResponse().status == 200)

            let past = try RawHTTPClient(port: port)
            let chunk = "[" + String(repeating: "1,", count: 29) + "1]"
            try past.send(head + String(chunk.utf8.count, radix: 16) + "\r\n" + chunk + "\r\n")
            // 61 bytes a chunk: the fourth passes 200, the whole budget, which no retry can mend.
            for _ in 0..<3 { try past.send(String(chunk.utf8.count, radix: 16) + "\r\n" + chunk + "\r\n") }
            let response = try past.readResponse()
            expectProblem(response, status: 413, type: "exceeds-memory-budget")
            #expect(response.header("retry-after") == nil)
            #expect(past.isClosedByServer())
            try expectServerStillServes(port: port)
            #expect(eventually { server.http.budget.heldBytes == 0 })
        }
    }

    @Test func ipv6Loopback() throws {
        try withTestServer({ $0.http.host = "::1" }) { port in
            let response = try RawHTTPClient(port: port, ipv6: true).request("GET", "/healthz")
            #expect(response.status == 200)
        }
    }

    @Test func healthReadinessAndSpec() throws {
        try withTestServer { port, server in
            let client = try RawHTTPClient(port: port)
            #expect(try client.request("GET", "/readyz").status == 200)
            let spec = try client.request("GET", "/openapi.yaml")
            #expect(spec.status == 200)
            #expect(spec.bodyText.hasPrefix("openapi: 3.1"))
            server.service.markDraining()
            expectProblem(try client.request("GET", "/readyz"), status: 503, type: "unavailable")
            #expect(try client.request("GET", "/healthz").status == 200, "liveness is unaffected")
        }
    }
}

@Suite struct DrainTests {
    @Test("Draining: the request in flight is answered, a pipelined one behind it gets 503 with Connection: close")
    func pipelinedRequestsDuringDrain() throws {
        try withTestServer { port, server in
            let client = try RawHTTPClient(port: port)
            let body = Array(#"{"data": [-1, 1]}"#.utf8)
            try client.send(
                "POST /ops/leaky_relu HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n")
            try client.send(Array(body[..<5]))
            // The head has arrived once its body bytes are reserved from the budget.
            let deadline = ContinuousClock.now + .seconds(5)
            while server.http.budget.heldBytes != body.count && ContinuousClock.now < deadline { usleep(1000) }
            server.http.beginDrain()
            try client.send(Array(body[5...]) + Array("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            let first = try client.readResponse()
            #expect(first.status == 200)
            #expect(first.bodyText == #"{"dtype":"float32","shape":[2],"data":[-0.01,1.0]}"#)
            let second = try client.readResponse()
            expectProblem(second, status: 503, type: "unavailable")
            #expect(second.header("connection") == "close")
            #expect(client.isClosedByServer())
        }
    }
}

@Suite struct StrictFramingTests {
    @Test("Ambiguous framing is a 400 that closes the connection; the server serves the next client")
    func ambiguousFraming() throws {
        try withTestServer { port in
            let post = "POST /ops/leaky_relu HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            let cases = [
                (post + "Transfer-Encoding: \r\nContent-Length: 13\r\n\r\n{\"data\": [1]}", "Transfer-Encoding is empty"),
                (post + "Transfer-Encoding: chunked\r\n\r\nd junk\r\n{\"data\": [1]}\r\n0\r\n\r\n", "bytes after the size"),
                (post + "Transfer-Encoding: chunked\r\n\r\nd\n{\"data\": [1]}\r\n0\r\n\r\n", "CRLF"),
                (post + "Transfer-Encoding: chunked\r\nContent-Length: 13\r\n\r\n", "both Transfer-Encoding and Content-Length"),
            ]
            for (request, detail) in cases {
                let client = try RawHTTPClient(port: port)
                try client.send(request)
                let response = try client.readResponse()
                expectProblem(response, status: 400, type: "malformed-request", detailContains: detail)
                #expect(response.header("connection") == "close")
                #expect(client.isClosedByServer())
                try expectServerStillServes(port: port)
            }
        }
    }

    @Test("An absolute-form target is served as its path")
    func absoluteForm() throws {
        try withTestServer { port in
            let client = try RawHTTPClient(port: port)
            try client.send("GET http://localhost/healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            #expect(try client.readResponse().bodyText == #"{"status":"ok"}"#)
        }
    }

    @Test("Invalid UTF-8 in a JSON key is a 400 naming its byte offset; the next request is served")
    func invalidUTF8() throws {
        try withTestServer { port in
            let client = try RawHTTPClient(port: port)
            let body: [UInt8] = Array(#"{"da"#.utf8) + [0xC3, 0x28] + Array(#"ta": [1]}"#.utf8)
            let response = try client.request(
                "POST", "/ops/leaky_relu", headers: [("Content-Type", "application/json")], body: body)
            expectProblem(response, status: 400, type: "malformed-tensor", detailContains: "byte 4: invalid UTF-8")
            try expectServerStillServes(port: port)
        }
    }
}
