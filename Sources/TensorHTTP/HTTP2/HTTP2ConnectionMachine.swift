/// The life of one HTTP/2 connection, as a value: every event goes in with the facts it needs (the time, the
/// streams open) and comes back as one `Action`. No I/O here, so idle timeouts, drain and closing are tested on a
/// fake clock without sockets.
///
/// Framing, HPACK, flow control and the protocol's own errors are libnghttp2's; what is decided here is what the
/// connection does around them: when an idle connection is told GOAWAY, when a draining one may close, and that a
/// closed one stays closed. Times are monotonic nanoseconds.
package struct HTTP2ConnectionMachine: Equatable, Sendable {
    package enum Phase: Equatable, Sendable {
        /// Serving streams. `idleSince` is when the last stream closed (or the connection opened); nil while a
        /// stream is open.
        case serving(idleSince: UInt64?)
        /// GOAWAY is sent: the streams in flight finish, no new one starts. `idleSince` as above: a draining
        /// connection with nothing left to finish closes after `lingerTimeout` even if the peer never answers.
        case draining(idleSince: UInt64?)
        /// Final: nothing more happens.
        case closed
    }

    package enum Event: Equatable, Sendable {
        /// A stream opened (its request headers arrived).
        case streamOpened
        /// A stream closed; `openStreams` are those left.
        case streamClosed(now: UInt64, openStreams: Int)
        /// SIGTERM, or the connection's idle timeout.
        case drain(now: UInt64, openStreams: Int)
        case timerFired(now: UInt64)
        /// libnghttp2 wants neither to read nor to write (GOAWAY exchanged and no stream left, or a protocol error
        /// answered), and every byte has been written.
        case sessionFinished
        /// The peer closed or reset the socket, or a read or write failed.
        case transportEnded
    }

    package enum Action: Equatable, Sendable {
        case none
        /// Send GOAWAY with the last stream processed; keep serving the streams open.
        case sendGoAway
        /// Close the socket now.
        case close
    }

    package let idleTimeout: UInt64
    package let lingerTimeout: UInt64
    package private(set) var phase: Phase

    package init(now: UInt64, idleTimeout: Duration, lingerTimeout: Duration = .seconds(2)) {
        self.idleTimeout = Self.nanoseconds(idleTimeout)
        self.lingerTimeout = Self.nanoseconds(lingerTimeout)
        phase = .serving(idleSince: now)
    }

    package var isDraining: Bool {
        if case .draining = phase { return true }
        return false
    }

    /// When the timer should next fire, or nil when no timeout applies.
    package var deadline: UInt64? {
        switch phase {
        case .serving(let idleSince?): idleSince &+ idleTimeout
        case .draining(let idleSince?): idleSince &+ lingerTimeout
        case .serving(nil), .draining(nil), .closed: nil
        }
    }

    package mutating func handle(_ event: Event) -> Action {
        switch (phase, event) {
        case (.closed, _):
            return .none
        case (_, .transportEnded), (_, .sessionFinished):
            phase = .closed
            return .close
        case (.serving, .streamOpened):
            phase = .serving(idleSince: nil)
            return .none
        case (.draining, .streamOpened):
            // A stream the peer opened before it read our GOAWAY, numbered below its last: it is served.
            phase = .draining(idleSince: nil)
            return .none
        case (.serving, .streamClosed(let now, let open)):
            phase = .serving(idleSince: open == 0 ? now : nil)
            return .none
        case (.draining, .streamClosed(let now, let open)):
            phase = .draining(idleSince: open == 0 ? now : nil)
            return .none
        case (.serving, .drain(let now, let open)):
            phase = .draining(idleSince: open == 0 ? now : nil)
            return .sendGoAway
        case (.draining, .drain):
            return .none
        case (.serving, .timerFired(let now)):
            guard let deadline, now >= deadline else { return .none }
            // Idle for the whole idle timeout: say GOAWAY (so the peer opens no new stream here) and close soon.
            phase = .draining(idleSince: now)
            return .sendGoAway
        case (.draining, .timerFired(let now)):
            guard let deadline, now >= deadline else { return .none }
            phase = .closed
            return .close
        }
    }

    private static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
    }
}
