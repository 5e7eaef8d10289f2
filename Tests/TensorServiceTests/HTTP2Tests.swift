import Testing
import TensorTestSupport
@testable import TensorService

/// HTTP/2 over a plain connection (h2c with prior knowledge), raw frames in and out, through the whole service: the
/// same port as HTTP/1.1, chosen by the preface. HPACK is written by hand for the few fields sent (RFC 7541
/// literals and static-table indexes), so the tests need no HTTP/2 library.
@Suite struct HTTP2Tests {
    struct Frame {
        var type: UInt8
        var flags: UInt8
        var stream: UInt32
        var payload: [UInt8]

        static let data: UInt8 = 0, headers: UInt8 = 1, rstStream: UInt8 = 3, settings: UInt8 = 4, goAway: UInt8 = 7
        static let endStream: UInt8 = 1, endHeaders: UInt8 = 4, ack: UInt8 = 1

        var bytes: [UInt8] {
            let length = payload.count
            return [UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), type, flags,
                    UInt8(stream >> 24 & 0x7F), UInt8(stream >> 16 & 0xFF), UInt8(stream >> 8 & 0xFF), UInt8(stream & 0xFF)] + payload
        }
    }

    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    /// A header block: `:method` and `:scheme http` from the static table, the rest as literals without indexing.
    static func headerBlock(method: String, path: String, fields: [(String, String)] = []) -> [UInt8] {
        func literal(_ name: String, _ value: String) -> [UInt8] {
            [0x00, UInt8(name.utf8.count)] + Array(name.utf8) + [UInt8(value.utf8.count)] + Array(value.utf8)
        }
        var block: [UInt8] = [method == "GET" ? 0x82 : 0x83, 0x86]
        block += [0x04, UInt8(path.utf8.count)] + Array(path.utf8)
        block += [0x01, 0x01, UInt8(ascii: "x")]
        for (name, value) in fields { block += literal(name, value) }
        return block
    }

    static func readFrame(_ client: RawHTTPClient) throws -> Frame {
        let head = try client.readExactly(9)
        let length = Int(head[0]) << 16 | Int(head[1]) << 8 | Int(head[2])
        let stream = UInt32(head[5] & 0x7F) << 24 | UInt32(head[6]) << 16 | UInt32(head[7]) << 8 | UInt32(head[8])
        return Frame(type: head[3], flags: head[4], stream: stream, payload: try client.readExactly(length))
    }

    /// Frames of `stream` until it ends, acknowledging the server's SETTINGS on the way.
    static func readStream(_ client: RawHTTPClient, _ stream: UInt32) throws -> [Frame] {
        var frames: [Frame] = []
        while true {
            let frame = try readFrame(client)
            if frame.type == Frame.settings && frame.flags & Frame.ack == 0 {
                try client.send(Frame(type: Frame.settings, flags: Frame.ack, stream: 0, payload: []).bytes)
            }
            guard frame.stream == stream else { continue }
            frames.append(frame)
            if frame.flags & Frame.endStream != 0 || frame.type == Frame.rstStream { return frames }
        }
    }

    static func open(_ port: Int) throws -> RawHTTPClient {
        let client = try RawHTTPClient(port: port)
        try client.send(preface + Frame(type: Frame.settings, flags: 0, stream: 0, payload: []).bytes)
        return client
    }

    @Test("h2c on the HTTP port: GET /healthz and a JSON POST answered as over HTTP/1.1, then HTTP/1.1 still works")
    func restRoutesOverH2c() throws {
        try withTestServer { port in
            let client = try Self.open(port)
            try client.send(Frame(
                type: Frame.headers, flags: Frame.endHeaders | Frame.endStream, stream: 1,
                payload: Self.headerBlock(method: "GET", path: "/healthz")).bytes)
            let health = try Self.readStream(client, 1)
            #expect(health.first?.type == Frame.headers && health.first?.payload.first == 0x88, "status 200 from the static table")
            #expect(health.filter { $0.type == Frame.data }.flatMap(\.payload) == Array(#"{"status":"ok"}"#.utf8))

            let json = Array(#"{"data": [-1, 1]}"#.utf8)
            try client.send(Frame(
                type: Frame.headers, flags: Frame.endHeaders, stream: 3,
                payload: Self.headerBlock(method: "POST", path: "/ops/leaky_relu", fields: [("content-type", "application/json")])).bytes)
            try client.send(Frame(type: Frame.data, flags: Frame.endStream, stream: 3, payload: json).bytes)
            let answer = try Self.readStream(client, 3)
            #expect(answer.filter { $0.type == Frame.data }.flatMap(\.payload) == Array(#"{"dtype":"float32","shape":[2],"data":[-0.01,1.0]}"#.utf8))
            try expectServerStillServes(port: port)
        }
    }

    @Test("gRPC: ServerLive answered with live=true and trailers; an unknown method is a trailers-only answer")
    func grpcOverH2c() throws {
        try withTestServer { port in
            let client = try Self.open(port)
            let grpcFields = [("content-type", "application/grpc"), ("te", "trailers")]
            try client.send(Frame(
                type: Frame.headers, flags: Frame.endHeaders, stream: 1,
                payload: Self.headerBlock(method: "POST", path: "/inference.GRPCInferenceService/ServerLive", fields: grpcFields)).bytes)
            try client.send(Frame(type: Frame.data, flags: Frame.endStream, stream: 1, payload: [0, 0, 0, 0, 0]).bytes)
            let live = try Self.readStream(client, 1)
            #expect(live.filter { $0.type == Frame.data }.flatMap(\.payload) == [0, 0, 0, 0, 2, 0x08, 0x01])
            #expect(live.last?.type == Frame.headers, "the call ends with trailers")

            try client.send(Frame(
                type: Frame.headers, flags: Frame.endHeaders | Frame.endStream, stream: 3,
                payload: Self.headerBlock(method: "POST", path: "/inference.GRPCInferenceService/Nothing", fields: grpcFields)).bytes)
            let unknown = try Self.readStream(client, 3)
            #expect(unknown.count == 1 && unknown[0].type == Frame.headers, "trailers-only: one HEADERS frame ends the call")
            try expectServerStillServes(port: port)
        }
    }

    @Test("Garbage after the preface ends the connection with GOAWAY; the server serves the next client")
    func garbageAfterThePreface() throws {
        try withTestServer { port in
            let client = try RawHTTPClient(port: port)
            try client.send(Self.preface + Array(repeating: 0xFF, count: 64))
            var sawGoAway = false
            while let frame = try? Self.readFrame(client) {
                if frame.type == Frame.goAway { sawGoAway = true }
            }
            #expect(sawGoAway)
            #expect(client.isClosedByServer())
            try expectServerStillServes(port: port)
        }
    }

    @Test("SIGTERM: an open HTTP/2 connection gets GOAWAY and closes once its streams are done")
    func drainSendsGoAway() throws {
        try withTestServer { port, server in
            let client = try Self.open(port)
            try client.send(Frame(
                type: Frame.headers, flags: Frame.endHeaders | Frame.endStream, stream: 1,
                payload: Self.headerBlock(method: "GET", path: "/healthz")).bytes)
            _ = try Self.readStream(client, 1)
            _ = server.http.beginDrain()
            var sawGoAway = false
            while let frame = try? Self.readFrame(client) {
                if frame.type == Frame.goAway { sawGoAway = true }
            }
            #expect(sawGoAway && client.isClosedByServer())
        }
    }
    /// The frames of `stream` after its END_STREAM, up to and including its RST_STREAM.
    static func readReset(_ client: RawHTTPClient, _ stream: UInt32) throws -> Frame {
        while true {
            let frame = try readFrame(client)
            if frame.stream == stream && frame.type == Frame.rstStream { return frame }
        }
    }

    @Test("A body that stops arriving is answered 408 after the read timeout, then reset; the connection goes on")
    func stalledBodyTimesOut() throws {
        try withTestServer({ $0.http.readTimeout = .milliseconds(300) }) { port in
            let client = try Self.open(port)
            try client.send(Frame(
                type: Frame.headers, flags: Frame.endHeaders, stream: 1,
                payload: Self.headerBlock(
                    method: "POST", path: "/ops/leaky_relu", fields: [("content-type", "application/json"), ("content-length", "100")])).bytes)
            try client.send(Frame(type: Frame.data, flags: 0, stream: 1, payload: Array(#"{"data": ["#.utf8)).bytes)
            let answer = try Self.readStream(client, 1)
            let body = String(decoding: answer.filter { $0.type == Frame.data }.flatMap(\.payload), as: UTF8.self)
            #expect(body.contains(#""status":408"#), "problem+json for the read timeout: \(body)")
            let reset = try Self.readReset(client, 1)
            #expect(reset.payload == [0, 0, 0, 0], "RST_STREAM(NO_ERROR): the client may stop sending")

            try client.send(Frame(
                type: Frame.headers, flags: Frame.endHeaders | Frame.endStream, stream: 3,
                payload: Self.headerBlock(method: "GET", path: "/healthz")).bytes)
            let health = try Self.readStream(client, 3)
            #expect(health.first?.payload.first == 0x88, "the same connection serves the next stream")
            try expectServerStillServes(port: port)
        }
    }

    @Test("An answer given before the body ends (404) is followed by RST_STREAM(NO_ERROR), not a stream left open")
    func earlyAnswerResetsTheRestOfTheBody() throws {
        try withTestServer { port in
            let client = try Self.open(port)
            try client.send(Frame(
                type: Frame.headers, flags: Frame.endHeaders, stream: 1,
                payload: Self.headerBlock(method: "POST", path: "/nothing-here", fields: [("content-length", "1000")])).bytes)
            try client.send(Frame(type: Frame.data, flags: 0, stream: 1, payload: Array(repeating: 0x41, count: 10)).bytes)
            let answer = try Self.readStream(client, 1)
            #expect(answer.first?.payload.first == 0x8D, "status 404 from the static table")
            #expect(try Self.readReset(client, 1).payload == [0, 0, 0, 0])
            try expectServerStillServes(port: port)
        }
    }
}
