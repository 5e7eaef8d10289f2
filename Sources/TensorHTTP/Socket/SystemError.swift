import Glibc

/// A system call failed for a reason the caller may handle (a reset peer, no free descriptors).
package struct SystemError: Error, Equatable, CustomStringConvertible {
    package let code: Int32
    package let call: String

    package var description: String { "\(call) failed: \(reason) (errno \(code))" }

    /// The system's words for `code`, such as "No such file or directory".
    package var reason: String { String(cString: strerror(code)) }
}

/// The outcome of a non-blocking call: done, or try again when the descriptor is ready.
package enum IOResult<Value> {
    case done(Value)
    case wouldBlock
}
