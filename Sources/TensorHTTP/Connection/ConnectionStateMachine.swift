/// The life of one connection and its timeouts, as a value: events in, actions out, time passed in.
///
/// No Dispatch here, so keep-alive, timeout and drain rules are tested on a fake clock without sleeping.
/// Times are monotonic nanoseconds.
package struct ConnectionStateMachine: Equatable, Sendable {
    package enum Phase: Equatable, Sendable {
        /// No byte of the next request yet. `afterResponse` picks the idle timeout over the read timeout.
        case waiting(since: UInt64, afterResponse: Bool)
        /// Part of a head has arrived.
        case receivingHead(since: UInt64)
        /// The head is whole; the body is arriving.
        case receivingBody(since: UInt64)
        /// A handler or worker owns the request.
        case processing
        /// An answer is being written; `lastProgress` is when bytes last left.
        case writing(lastProgress: UInt64)
        case closed
    }

    package enum TimeoutAction: Equatable, Sendable {
        case none
        /// Close without a word: nothing of a request had arrived, or the client stopped reading.
        case close
        /// Part of a request arrived but not all of it: answer 408, then close.
        case respondTimeoutAndClose
    }

    package enum DrainAction: Equatable, Sendable {
        /// No request is in flight: close now.
        case closeNow
        /// A request is in flight: finish and answer it, then close.
        case finishThenClose
    }

    package let readTimeout: UInt64
    package let idleTimeout: UInt64
    package private(set) var phase: Phase
    package private(set) var isDraining = false

    package init(now: UInt64, readTimeout: Duration, idleTimeout: Duration) {
        self.readTimeout = Self.nanoseconds(readTimeout)
        self.idleTimeout = Self.nanoseconds(idleTimeout)
        phase = .waiting(since: now, afterResponse: false)
    }

    package mutating func bytesArrived(now: UInt64) {
        if case .waiting = phase { phase = .receivingHead(since: now) }
    }

    package mutating func headReceived() {
        if case .receivingHead(let since) = phase { phase = .receivingBody(since: since) }
    }

    package mutating func requestComplete() { phase = .processing }

    /// A final answer starts going out.
    package mutating func responseStarted(now: UInt64) { phase = .writing(lastProgress: now) }

    /// Bytes left; an interim `100 Continue` written while the body arrives does not change the phase.
    package mutating func wrote(now: UInt64) {
        if case .writing = phase { phase = .writing(lastProgress: now) }
    }

    /// The answer is out. Returns true when the connection should read the next request.
    package mutating func responseSent(now: UInt64, keepAlive: Bool) -> Bool {
        guard keepAlive else {
            phase = .closed
            return false
        }
        phase = .waiting(since: now, afterResponse: true)
        return true
    }

    package mutating func closed() { phase = .closed }

    /// When the timer should next fire, or nil when no timeout applies.
    package var deadline: UInt64? {
        switch phase {
        case .waiting(let since, let afterResponse): since &+ (afterResponse ? idleTimeout : readTimeout)
        case .receivingHead(let since), .receivingBody(let since): since &+ readTimeout
        case .writing(let lastProgress): lastProgress &+ idleTimeout
        case .processing, .closed: nil
        }
    }

    package mutating func timerFired(now: UInt64) -> TimeoutAction {
        guard let deadline, now >= deadline else { return .none }
        switch phase {
        case .waiting, .writing:
            phase = .closed
            return .close
        case .receivingHead, .receivingBody:
            phase = .closed
            return .respondTimeoutAndClose
        case .processing, .closed:
            return .none
        }
    }

    /// SIGTERM: a request whose head has arrived is finished; anything earlier is closed.
    package mutating func beginDrain() -> DrainAction {
        isDraining = true
        switch phase {
        case .waiting, .receivingHead, .closed:
            phase = .closed
            return .closeNow
        case .receivingBody, .processing, .writing:
            return .finishThenClose
        }
    }

    private static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
    }
}
