/// A bound, listening, non-blocking TCP socket.
package struct ListeningSocket: Sendable {
    package let descriptor: Int32
    /// The port actually bound (the kernel's choice when 0 was asked for).
    package let port: Int
    /// The address as the operator gave it, for the "listening on" line.
    package let host: String

    /// Binds `host:port` and listens. `::` accepts IPv4 too (dual stack), as operators expect of "all addresses".
    package static func bind(host: String, port: Int) throws(SystemError) -> ListeningSocket {
        try Syscall.withResolved(host: host, port: port, passive: true) { address throws(SystemError) in
            let fd = try Syscall.streamSocket(for: address)
            do throws(SystemError) {
                try Syscall.bindAndListen(fd, to: address)
                return ListeningSocket(descriptor: fd, port: try Syscall.localPort(fd), host: host)
            } catch {
                Syscall.close(fd)
                throw error
            }
        }
    }

    package func close() { Syscall.close(descriptor) }
}
