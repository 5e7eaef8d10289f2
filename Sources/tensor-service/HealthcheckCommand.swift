import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `tensor-service healthcheck`: exits 0 when a GET of the URL answers 200 within the timeout, 1 otherwise.
/// It needs no shell tools, so a slim container image can run it as its HEALTHCHECK.
struct HealthcheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "healthcheck", abstract: "Probes a running server: exit 0 when the URL answers 200.")

    @Option(help: "An http:// URL to GET (plain HTTP; probe a TLS server from inside on a plain port).")
    var url = "http://127.0.0.1:8080/healthz"

    @Option(help: "Seconds to wait for the answer.")
    var timeout: Double = 3

    func run() throws {
        guard let components = URLComponents(string: url), components.scheme == "http", let host = components.host else {
            throw ValidationError("--url must be an http:// URL")
        }
        let status = try? Self.status(host: host, port: components.port ?? 80, path: components.path.isEmpty ? "/" : components.path)
        guard status == 200 else {
            FileHandle.standardError.write(Data("unhealthy: \(status.map { "status \($0)" } ?? "no answer") from \(url)\n".utf8))
            throw ExitCode(1)
        }
    }

    enum ProbeError: Error { case unreachable, malformed }

    /// One GET over a blocking socket with send and receive timeouts.
    static func status(host: String, port: Int, path: String, timeout: Double = 3) throws -> Int {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let info = list else { throw ProbeError.unreachable }
        defer { freeaddrinfo(list) }
        let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ProbeError.unreachable }
        defer { close(fd) }
        var interval = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
        guard connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else { throw ProbeError.unreachable }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else {
            throw ProbeError.unreachable
        }
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        let line = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self).split(separator: " ")
        guard line.count >= 2, line[0].hasPrefix("HTTP/1."), let status = Int(line[1]) else { throw ProbeError.malformed }
        return status
    }
}
