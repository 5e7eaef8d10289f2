import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP client that sends exact bytes and reads answers, for tests that need malformed, pipelined or
/// slow requests no HTTP library would send.
public final class RawHTTPClient {
    public let descriptor: Int32
    private var buffered: [UInt8] = []

    public struct Response: CustomStringConvertible {
        public var status: Int
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }

        public var bodyText: String { String(decoding: body, as: UTF8.self) }

        /// The body parsed as a JSON object.
        public var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])) as? [String: Any]
        }

        public var description: String { "\(status) \(headers) \(bodyText.prefix(300))" }
    }

    public enum ClientError: Error { case connectFailed(Int32), closed, timedOut }

    /// Connects to `127.0.0.1:port` (or `::1` with `ipv6`); reads give up after `timeout`.
    public init(port: Int, ipv6: Bool = false, timeout: Duration = .seconds(10)) throws {
        descriptor = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var result: Int32
        if ipv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = UInt16(port).bigEndian
            address.sin6_addr = in6addr_loopback
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(descriptor)
            throw ClientError.connectFailed(code)
        }
        Self.setReadTimeout(descriptor, timeout)
    }

    /// Takes over one end of a connected socket pair (made blocking), to drive a connection with no listener.
    public init(connectedDescriptor: Int32, timeout: Duration = .seconds(10)) {
        descriptor = connectedDescriptor
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
        Self.setReadTimeout(descriptor, timeout)
    }

    private static func setReadTimeout(_ descriptor: Int32, _ timeout: Duration) {
        let (seconds, attoseconds) = timeout.components
        var interval = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { Glibc.close(descriptor) }

    public func close() { shutdown(descriptor, Int32(SHUT_RDWR)) }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw ClientError.closed }
            offset += written
        }
    }

    /// Reads one answer framed by Content-Length (every answer of this server has one). The answer to a HEAD
    /// request (`toHead`) has a Content-Length but no body.
    public func readResponse(toHead: Bool = false) throws -> Response {
        let headEnd = try readUntilHeadEnd()
        let headText = String(decoding: buffered[0..<headEnd], as: UTF8.self)
        buffered.removeFirst(headEnd)
        var lines = headText.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw ClientError.closed }
        let headers = lines.map { line -> (name: String, value: String) in
            let colon = line.firstIndex(of: ":")!
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var response = Response(status: status, headers: headers, body: [])
        if status == 100 || toHead { return response }
        let length = Int(response.header("content-length") ?? "0") ?? 0
        while buffered.count < length { try fill() }
        response.body = Array(buffered[0..<length])
        buffered.removeFirst(length)
        return response
    }

    /// Exactly `count` bytes of whatever the server sends (HTTP/2 frames).
    public func readExactly(_ count: Int) throws -> [UInt8] {
        while buffered.count < count { try fill() }
        defer { buffered.removeFirst(count) }
        return Array(buffered[0..<count])
    }

    /// True when the server has closed the connection (reads end), false if bytes arrive instead.
    public func isClosedByServer() -> Bool {
        if !buffered.isEmpty { return false }
        do {
            try fill()
            return false
        } catch {
            return true
        }
    }

    private func readUntilHeadEnd() throws -> Int {
        while true {
            if let range = findHeadEnd() { return range }
            try fill()
        }
    }

    private func findHeadEnd() -> Int? {
        guard buffered.count >= 4 else { return nil }
        for index in 0...(buffered.count - 4)
        where buffered[index] == 13 && buffered[index + 1] == 10 && buffered[index + 2] == 13 && buffered[index + 3] == 10 {
            return index + 4
        }
        return nil
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        if count < 0 { throw errno == EAGAIN ? ClientError.timedOut : ClientError.closed }
        if count == 0 { throw ClientError.closed }
        buffered += chunk[0..<count]
    }
}

extension RawHTTPClient {
    /// Sends one request with the fields every test needs and reads its answer.
    public func request(
        _ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8] = []
    ) throws -> Response {
        var text = "\(method) \(target) HTTP/1.1\r\nHost: localhost\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { text += "Content-Length: \(body.count)\r\n" }
        text += "\r\n"
        try send(Array(text.utf8) + body)
        return try readResponse()
    }
}
