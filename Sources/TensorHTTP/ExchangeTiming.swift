/// When one request's bytes came and its answer's bytes left, in monotonic nanoseconds.
package struct ExchangeTiming: Sendable {
    /// The request's first byte (for a request that had none, when its answer was made).
    package var firstByte: UInt64
    /// The answer's last byte written, or the moment the connection closed before that.
    package var finished: UInt64
    /// False when the connection closed before the whole answer was written.
    package var isComplete: Bool

    package var seconds: Double { Double(finished &- firstByte) / 1e9 }
}
