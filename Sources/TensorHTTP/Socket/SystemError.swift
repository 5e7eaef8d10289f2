#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A system call failed for a reason the caller may handle (a reset peer, no free descriptors).
package struct SystemError: Error, Equatable, CustomStringConvertible {
    package let code: Int32
    package let call: String

    package var description: String { "\(call) failed: \(String(cString: strerror(code))) (errno \(code))" }
}

/// The outcome of a non-blocking call: done, or try again when the descriptor is ready.
package enum IOResult<Value> {
    case done(Value)
    case wouldBlock
}

/// Runs one system call the way every call in this module is run.
///
/// `EINTR` is retried, `EAGAIN` becomes `.wouldBlock`, `EBADF` and `EFAULT` are our own bugs (a closed or wild
/// descriptor) and stop the process, and anything else is thrown as `SystemError`.
@inline(__always)
package func systemCall<Result: BinaryInteger>(
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
