import Glibc

/// Name resolution, listening and connecting: the system calls `ListeningSocket` and `HTTPProbe` make.
extension Syscall {
    /// A resolved address, valid while the `withResolved` body runs.
    package struct Address {
        fileprivate let info: addrinfo
        package var isIPv6: Bool { info.ai_family == AF_INET6 }
    }

    /// Calls `body` with the first address of `host:port` (numeric port; `passive`: for binding, so an empty or
    /// wildcard host means every address).
    package static func withResolved<Result>(
        host: String, port: Int, passive: Bool, _ body: (Address) throws(SystemError) -> Result
    ) throws(SystemError) -> Result {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = (passive ? AI_PASSIVE : 0) | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            throw SystemError(code: EADDRNOTAVAIL, call: "getaddrinfo(\(host))")
        }
        defer { freeaddrinfo(list) }
        return try body(Address(info: first.pointee))
    }

    /// A TCP socket for `address`, close-on-exec, non-blocking unless `blocking`.
    package static func streamSocket(for address: Address, blocking: Bool = false) throws(SystemError) -> Int32 {
        let flags = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | (blocking ? 0 : Int32(SOCK_NONBLOCK.rawValue))
        let fd = socket(address.info.ai_family, flags, 0)
        guard fd >= 0 else { throw SystemError(code: errno, call: "socket") }
        return fd
    }

    /// Binds `fd` to `address` and listens, with `SO_REUSEADDR` and, for IPv6, both stacks (`::` takes IPv4 too).
    package static func bindAndListen(_ fd: Int32, to address: Address, backlog: Int32 = SOMAXCONN) throws(SystemError) {
        try setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
        if address.isIPv6 { try setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 0) }
        _ = try callBlocking("bind") { bind(fd, address.info.ai_addr, address.info.ai_addrlen) }
        _ = try callBlocking("listen") { listen(fd, backlog) }
    }

    /// The local port `fd` is bound to (the kernel's choice when 0 was asked for).
    package static func localPort(_ fd: Int32) throws(SystemError) -> Int {
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

    /// Connects a blocking socket, whose sends and receives then give up after `timeoutSeconds`.
    package static func connect(_ fd: Int32, to address: Address, timeoutSeconds: Double) throws(SystemError) {
        var interval = timeval(tv_sec: Int(timeoutSeconds), tv_usec: Int((timeoutSeconds - timeoutSeconds.rounded(.down)) * 1e6))
        for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
            guard setsockopt(fd, SOL_SOCKET, option, &interval, socklen_t(MemoryLayout<timeval>.size)) == 0 else {
                throw SystemError(code: errno, call: "setsockopt")
            }
        }
        _ = try callBlocking("connect") { Glibc.connect(fd, address.info.ai_addr, address.info.ai_addrlen) }
    }

    /// One blocking send of all of `bytes` (no SIGPIPE); false when it did not all go.
    package static func sendBlocking(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// One blocking receive of up to `limit` bytes; empty at the end or on a timeout.
    package static func receiveBlocking(_ fd: Int32, limit: Int) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: limit)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return count > 0 ? Array(buffer.prefix(count)) : []
    }
}
