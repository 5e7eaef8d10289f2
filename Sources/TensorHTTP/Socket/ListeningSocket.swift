#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A bound, listening, non-blocking TCP socket.
package struct ListeningSocket: Sendable {
    package let descriptor: Int32
    /// The port actually bound (the kernel's choice when 0 was asked for).
    package let port: Int
    /// The address as the operator gave it, for the "listening on" line.
    package let host: String

    /// Binds `host:port` and listens. `::` accepts IPv4 too (dual stack), as operators expect of "all addresses".
    package static func bind(host: String, port: Int, backlog: Int32 = SOMAXCONN) throws(SystemError) -> ListeningSocket {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw SystemError(code: EADDRNOTAVAIL, call: "getaddrinfo(\(host))")
        }
        defer { freeaddrinfo(list) }

        let info = first.pointee
        let fd = socket(info.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError(code: errno, call: "socket") }
        do {
            try setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            if info.ai_family == AF_INET6 { try setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 0) }
            _ = try systemCall("bind") { Glibc.bind(fd, info.ai_addr, info.ai_addrlen) }
            _ = try systemCall("listen") { listen(fd, backlog) }
            return ListeningSocket(descriptor: fd, port: try boundPort(fd), host: host)
        } catch {
            _ = Glibc.close(fd)
            throw error
        }
    }

    /// Accepts one pending connection as a non-blocking socket with `TCP_NODELAY` set, or nil when none waits.
    package func accept() throws(SystemError) -> Int32? {
        let result = try systemCall("accept") { Glibc.accept(descriptor, nil, nil) }
        guard case .done(let fd) = result else { return nil }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        // A keep-alive client must never wait on Nagle's algorithm for the tail of an answer.
        try? setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        return fd
    }

    package func close() { _ = Glibc.close(descriptor) }

    private static func boundPort(_ fd: Int32) throws(SystemError) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { throw SystemError(code: errno, call: "getsockname") }
        let family = storage.ss_family
        return withUnsafePointer(to: &storage) { pointer in
            if family == sa_family_t(AF_INET6) {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
    }
}

package func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) throws(SystemError) {
    var value = value
    _ = try systemCall("setsockopt") { setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) }
}
