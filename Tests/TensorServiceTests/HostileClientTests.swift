import Dispatch
import Foundation
import Testing
import TensorTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Garbage, slow clients, floods and resets: a bad client costs only itself.
@Suite(.serialized) struct HostileClientTests {
    /// Open descriptors of this process (the test server runs in it).
    static func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
    }

    @Test("1,000 random-garbage requests on separate connections, then a good request works")
    func garbage() throws {
        try withTestServer({ $0.http.readTimeout = .milliseconds(300) }) { port, server in
            var generator = SplitMix64(seed: 99)
            for index in 0..<1000 {
                let client = try RawHTTPClient(port: port, timeout: .seconds(5))
                let length = Int(generator.next() % 300) + 1
                var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
                // Every other one looks like the start of a request, so the parser goes deeper than the first byte.
                if index % 2 == 0 { bytes = Array("POST /ops/leaky_relu HTTP/1.1\r\n".utf8) + bytes }
                try? client.send(bytes + Array("\r\n\r\n".utf8))
                if let response = try? client.readResponse() {
                    #expect((400..<600).contains(response.status) && response.status != 500, "\(response)")
                }
            }
            try expectServerStillServes(port: port)
            #expect(eventually { server.http.openConnectionCount <= 1 })
        }
    }

    @Test("Slowloris: dribbling clients do not hold up a normal one and get 408 at the read timeout")
    func slowloris() throws {
        try withTestServer({ $0.http.readTimeout = .seconds(2) }) { port in
            let slow = try (0..<200).map { _ in try RawHTTPClient(port: port, timeout: .seconds(10)) }
            for client in slow { try client.send("POST /ops/leaky_relu HTTP/1.1\r\nHost: x\r\n") }
            let started = ContinuousClock.now
            try expectServerStillServes(port: port)
            let normal = ContinuousClock.now - started
            #expect(normal < .seconds(2), "answered before the dribblers timed out (took \(normal))")
            for client in slow {
                let response = try client.readResponse()
                #expect(response.status == 408)
                #expect(client.isClosedByServer())
            }
        }
    }

    @Test("Connections past --max-connections wait in the backlog without harming open ones")
    func connectionLimit() throws {
        try withTestServer({ $0.http.maxConnections = 4 }) { port, server in
            let open = try (0..<4).map { _ in try RawHTTPClient(port: port) }
            for client in open { #expect(try client.request("GET", "/healthz").status == 200) }
            let waiting = try RawHTTPClient(port: port, timeout: .seconds(10))
            try waiting.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(server.http.openConnectionCount == 4)
            for client in open { #expect(try client.request("GET", "/healthz").status == 200, "open ones still served") }
            open[0].close()
            #expect(try waiting.readResponse().status == 200, "the waiting one is served once a slot frees")
        }
    }

    @Test("Resets mid-head, mid-body and before the answer leak no descriptors")
    func resets() throws {
        try withTestServer { port, server in
            let baseline = Self.openDescriptors()
            for round in 0..<50 {
                let client = try RawHTTPClient(port: port)
                switch round % 3 {
                case 0: try client.send("POST /ops/leaky_relu HTTP/1.1\r\nHost: x\r\nContent-")
                case 1: try client.send("POST /ops/leaky_relu HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 4096\r\n\r\nabc")
                default:
                    try client.send(
                        "POST /ops/leaky_relu HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 65536\r\n\r\n"
                            + String(repeating: "\0", count: 65536))
                }
                // SO_LINGER 0 turns the close into a reset.
                var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
                setsockopt(client.descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            }
            #expect(eventually { server.http.openConnectionCount == 0 && Self.openDescriptors() <= baseline },
                "descriptors: \(Self.openDescriptors()) vs baseline \(baseline)")
            #expect(server.http.budget.heldBytes == 0, "no body bytes stay reserved")
            try expectServerStillServes(port: port)
        }
    }
}
