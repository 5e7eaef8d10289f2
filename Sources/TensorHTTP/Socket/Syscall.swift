import CLinux

import Glibc

/// Every system call the transport makes, each run the same way (as in NIO's `System.swift`).
///
/// `EINTR` is retried, `EAGAIN` becomes `.wouldBlock`, `EBADF` and `EFAULT` are our own bugs (a closed or wild
/// descriptor) and stop the process, and anything else is thrown as `SystemError`.
package enum Syscall {
    @inline(__always)
    package static func call<Result: BinaryInteger>(
        _ name: StaticString, _ body: () -> Result
    ) throws(SystemError) -> IOResult<Result> {
        while true {
            let result = body()
            if result != -1 { return .done(result) }
            let code = errno
            switch code {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case EBADF, EFAULT: preconditionFailure("\(name) failed with errno \(code): a descriptor bug in this process")
            default: throw SystemError(code: code, call: "\(name)")
            }
        }
    }

    /// A call that cannot block: `.wouldBlock` would be a bug, so only the value or the error comes back.
    @inline(__always)
    package static func callBlocking<Result: BinaryInteger>(
        _ name: StaticString, _ body: () -> Result
    ) throws(SystemError) -> Result {
        guard case .done(let value) = try call(name, body) else { throw SystemError(code: EAGAIN, call: "\(name)") }
        return value
    }

    // MARK: - Sockets

    /// Reads into `buffer`; `.done(0)` is the end of the stream.
    package static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        try call("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// Writes the gathered vectors in one call; a closed peer is an error, never SIGPIPE.
    package static func send(_ fd: Int32, vectors: UnsafeMutableBufferPointer<iovec>) throws(SystemError) -> IOResult<Int> {
        var message = msghdr()
        message.msg_iov = vectors.baseAddress
        message.msg_iovlen = vectors.count
        return try call("sendmsg") { sendmsg(fd, &message, Int32(MSG_NOSIGNAL)) }
    }

    /// Accepts one pending connection, already non-blocking and close-on-exec, with the peer's IP address as text
    /// (an IPv4 client of a dual-stack socket as plain IPv4); nil when none waits.
    package static func accept(_ fd: Int32) throws(SystemError) -> (descriptor: Int32, address: String)? {
        let flags = Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = try withUnsafeMutablePointer(to: &storage) { pointer throws(SystemError) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address throws(SystemError) in
                try call("accept4") { accept4(fd, address, &length, flags) }
            }
        }
        guard case .done(let accepted) = result else { return nil }
        return (accepted, addressText(storage))
    }

    private static func addressText(_ storage: sockaddr_storage) -> String {
        var storage = storage
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = Int32(storage.ss_family)
        let written = withUnsafePointer(to: &storage) { pointer -> Bool in
            switch family {
            case AF_INET:
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                    var raw = address.pointee.sin_addr
                    return inet_ntop(AF_INET, &raw, &text, socklen_t(text.count)) != nil
                }
            case AF_INET6:
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                    var raw = address.pointee.sin6_addr
                    return inet_ntop(AF_INET6, &raw, &text, socklen_t(text.count)) != nil
                }
            default:
                return false
            }
        }
        guard written else { return "" }
        let address = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return address.hasPrefix("::ffff:") && address.contains(".") ? String(address.dropFirst(7)) : address
    }

    package static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) throws(SystemError) {
        var value = value
        _ = try callBlocking("setsockopt") { setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) }
    }

    /// Sends FIN: the peer reads the end of the stream while we can still read what it sends.
    package static func shutdownOutput(_ fd: Int32) {
        _ = try? call("shutdown") { Glibc.shutdown(fd, Int32(SHUT_WR)) }
    }

    /// Bytes the kernel holds for reading on `fd`.
    package static func pendingInputBytes(_ fd: Int32) -> Int {
        var count: Int32 = 0
        guard case .done = (try? call("ioctl", { ioctl(fd, UInt(FIONREAD), &count) })) ?? .wouldBlock else { return 0 }
        return Int(count)
    }

    package static func close(_ fd: Int32) {
        // Linux releases the descriptor even when close reports EINTR: retrying could close a reused number.
        _ = Glibc.close(fd)
    }

    /// A connected pair of stream sockets, both non-blocking; for driving one connection in tests.
    package static func socketPair() throws(SystemError) -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        _ = try callBlocking("socketpair") { socketpair(AF_UNIX, type, 0, &fds) }
        return (fds[0], fds[1])
    }

    // MARK: - Descriptors

    /// Opens `path` read-only and close-on-exec: the spare descriptor the listener gives up when the process has
    /// no other (`/dev/null`).
    package static func openReadOnly(_ path: String) throws(SystemError) -> Int32 {
        try callBlocking("open") { open(path, O_RDONLY | O_CLOEXEC) }
    }

    /// The soft and hard `RLIMIT_NOFILE`.
    package static func descriptorLimit() -> (soft: Int, hard: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return (0, 0) }
        return (Self.count(limit.rlim_cur), Self.count(limit.rlim_max))
    }

    /// Raises the soft `RLIMIT_NOFILE` to the hard one, as nginx's `worker_rlimit_nofile` and Go's runtime do;
    /// returns the soft limit in force afterwards.
    @discardableResult
    package static func raiseDescriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Self.count(limit.rlim_cur)
    }

    /// Descriptors this process has open now (`/proc/self/fd`, not counting the one that lists it).
    package static func openDescriptorCount() -> Int {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = entry.pointee.d_name.0
            if name != CChar(UInt8(ascii: ".")) { count += 1 }
        }
        return max(0, count - 1)
    }

    // RLIM_INFINITY is all ones, which Glibc's module cannot import as an unsigned constant.
    private static func count(_ limit: rlim_t) -> Int { limit == rlim_t.max ? Int.max : Int(clamping: limit) }

    // MARK: - epoll and eventfd

    package static func makeEpoll() throws(SystemError) -> Int32 {
        try callBlocking("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
    }

    package static func epollControl(_ epoll: Int32, _ operation: Int32, _ fd: Int32, events: UInt32, data: UInt64)
        throws(SystemError)
    {
        var event = epoll_event()
        event.events = events
        event.data.u64 = data
        _ = try callBlocking("epoll_ctl") { epoll_ctl(epoll, operation, fd, &event) }
    }

    /// Waits up to `timeoutMilliseconds` (-1: no limit) and returns how many events were filled in.
    package static func epollWait(
        _ epoll: Int32, _ events: UnsafeMutableBufferPointer<epoll_event>, timeoutMilliseconds: Int32
    ) throws(SystemError) -> Int {
        guard case .done(let count) = try call("epoll_wait", {
            epoll_wait(epoll, events.baseAddress, Int32(events.count), timeoutMilliseconds)
        }) else { return 0 }
        return Int(count)
    }

    package static func makeEventCounter() throws(SystemError) -> Int32 {
        try callBlocking("eventfd") { eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC)) }
    }

    /// Adds one to the counter, making its descriptor readable.
    package static func signalEventCounter(_ fd: Int32) {
        var one: UInt64 = 1
        _ = try? call("write") { Glibc.write(fd, &one, 8) }
    }

    /// Reads the counter back to zero.
    package static func resetEventCounter(_ fd: Int32) {
        var value: UInt64 = 0
        _ = try? call("read") { Glibc.read(fd, &value, 8) }
    }
}
