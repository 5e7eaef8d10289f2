import Glibc

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
