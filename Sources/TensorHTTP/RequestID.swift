/// A request's id, as `X-Request-Id` and the access log carry it: the client's own, or one made here from a random
/// per-process prefix and a counter (unique across replicas without a system call per request).
///
/// A made id is kept as two integers and written as 32 lowercase hex digits where it is sent: 32 characters are too
/// many for a `String`'s inline storage, so making it as text would cost an allocation per request.
package enum RequestID: Sendable, Equatable, ExpressibleByStringLiteral, CustomStringConvertible {
    case given(String)
    case made(prefix: UInt64, counter: UInt64)

    package init(stringLiteral text: String) { self = .given(text) }

    /// Calls `body` with the id's UTF-8 bytes (for a made id, in a buffer on the stack).
    package func withUTF8<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        switch self {
        case .given(var text):
            return try text.withUTF8(body)
        case .made(let prefix, let counter):
            return try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { digits in
                Self.writeHex(prefix, into: UnsafeMutableBufferPointer(rebasing: digits[0..<16]))
                Self.writeHex(counter, into: UnsafeMutableBufferPointer(rebasing: digits[16..<32]))
                return try body(UnsafeBufferPointer(digits))
            }
        }
    }

    /// The id as text (HTTP/2 header fields, swift-log metadata).
    package var description: String {
        switch self {
        case .given(let text): text
        case .made: withUTF8 { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// Sixteen lowercase hex digits, most significant first.
    private static func writeHex(_ value: UInt64, into digits: UnsafeMutableBufferPointer<UInt8>) {
        for index in 0..<16 {
            let nibble = UInt8(truncatingIfNeeded: value >> UInt64(60 - 4 * index)) & 0xF
            digits[index] = nibble < 10 ? 0x30 + nibble : 0x57 + nibble
        }
    }
}
