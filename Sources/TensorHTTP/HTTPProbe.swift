import COpenSSL

/// One GET, answered with its status code, over a blocking socket with send and receive timeouts, in plain HTTP or
/// through TLS. `tensor-service healthcheck` runs it inside the container, where there is no curl.
package enum HTTPProbe {
    package enum Failure: Error, Equatable {
        case unreachable
        case tlsHandshakeFailed
        case malformedAnswer
    }

    package static func status(
        host: String, port: Int, path: String, overTLS: Bool, timeoutSeconds: Double
    ) throws(Failure) -> Int {
        let descriptor = try connect(host: host, port: port, timeoutSeconds: timeoutSeconds)
        defer { Syscall.close(descriptor) }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n".utf8)
        let answer = overTLS
            ? try exchangeOverTLS(descriptor, request)
            : try exchange(descriptor, request)
        // The status line: HTTP/1.x SP 3DIGIT SP reason.
        let line = String(decoding: answer, as: UTF8.self).split(separator: " ", maxSplits: 2)
        guard line.count >= 2, line[0].hasPrefix("HTTP/1."), let status = Int(line[1]) else { throw .malformedAnswer }
        return status
    }

    private static func connect(host: String, port: Int, timeoutSeconds: Double) throws(Failure) -> Int32 {
        do {
            return try Syscall.withResolved(host: host, port: port, passive: false) { address throws(SystemError) in
                let descriptor = try Syscall.streamSocket(for: address, blocking: true)
                do throws(SystemError) {
                    try Syscall.connect(descriptor, to: address, timeoutSeconds: timeoutSeconds)
                } catch {
                    Syscall.close(descriptor)
                    throw error
                }
                return descriptor
            }
        } catch {
            throw .unreachable
        }
    }

    /// Sends the request and returns the first bytes of the answer (enough for the status line).
    private static func exchange(_ descriptor: Int32, _ request: [UInt8]) throws(Failure) -> [UInt8] {
        guard Syscall.sendBlocking(descriptor, request) else { throw .unreachable }
        let answer = Syscall.receiveBlocking(descriptor, limit: 512)
        guard !answer.isEmpty else { throw .unreachable }
        return answer
    }

    private static func exchangeOverTLS(_ descriptor: Int32, _ request: [UInt8]) throws(Failure) -> [UInt8] {
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw .tlsHandshakeFailed }
        defer { SSL_CTX_free(context) }
        // A probe asks whether this server answers, not who it is: it connects to 127.0.0.1, while the certificate
        // names the service's public host or is self-signed. Kubernetes' HTTPS probes do not verify either.
        SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        guard let session = SSL_new(context) else { throw .tlsHandshakeFailed }
        defer { SSL_free(session) }
        SSL_set_fd(session, descriptor)
        guard SSL_connect(session) == 1 else { throw .tlsHandshakeFailed }
        let written = request.withUnsafeBytes { SSL_write(session, $0.baseAddress, Int32($0.count)) }
        guard written == Int32(request.count) else { throw .unreachable }
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = buffer.withUnsafeMutableBytes { SSL_read(session, $0.baseAddress, Int32($0.count)) }
        guard count > 0 else { throw .unreachable }
        return Array(buffer.prefix(Int(count)))
    }
}
