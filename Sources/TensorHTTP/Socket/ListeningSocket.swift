import Glibc

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
            try Syscall.setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            if info.ai_family == AF_INET6 { try Syscall.setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 0) }
            _ = try Syscall.callBlocking("bind") { Glibc.bind(fd, info.ai_addr, info.ai_addrlen) }
            _ = try Syscall.callBlocking("listen") { listen(fd, backlog) }
            return ListeningSocket(descriptor: fd, port: try boundPort(fd), host: host)
        } catch {
            Syscall.close(fd)
            throw error
        }
    }

    package func close() { Syscall.close(descriptor) }

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
