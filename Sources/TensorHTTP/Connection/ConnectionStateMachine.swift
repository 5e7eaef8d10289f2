/// The life of one connection and its timeouts, as a value: events in, actions out, time passed in.
///
/// No I/O here, so keep-alive, lingering, timeout and drain rules are tested on a fake clock without sleeping.
/// Whether a connection is kept after an answer, lingers or closes is decided here; the connection closes on its
/// own only when the peer or the socket ends it (end of stream, reset, a failed read or write).
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
        case writing(lastProgress: UInt64, keepAlive: Bool)
        /// The last answer is out and our side is shut: what the client still sends is read and dropped until it
        /// closes or `until`, so its unread bytes do not turn our close into a reset that destroys the answer.
        case lingering(until: UInt64)
        case closed
    }

    package enum TimeoutAction: Equatable, Sendable {
        case none
        /// Close without a word: nothing of a request had arrived, the client stopped reading, or lingering ended.
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

    package enum AfterResponse: Equatable, Sendable {
        /// Keep-alive: read the next request.
        case readNextRequest
        /// Shut our side and linger, then close.
        case linger
    }

    package let readTimeout: UInt64
    package let idleTimeout: UInt64
    package let lingerTimeout: UInt64
    package private(set) var phase: Phase
    package private(set) var isDraining = false

    package init(now: UInt64, readTimeout: Duration, idleTimeout: Duration, lingerTimeout: Duration = .seconds(2)) {
        self.readTimeout = Self.nanoseconds(readTimeout)
        self.idleTimeout = Self.nanoseconds(idleTimeout)
        self.lingerTimeout = Self.nanoseconds(lingerTimeout)
        phase = .waiting(since: now, afterResponse: false)
    }

    /// Whether bytes that arrive now belong to a request (rather than being dropped while lingering).
    package var readsRequests: Bool {
        switch phase {
        case .waiting, .receivingHead, .receivingBody: true
        case .processing, .writing, .lingering, .closed: false
        }
    }

    /// Whether the socket is read at all: for requests, or to drain what a lingering client sends.
    package var readsSocket: Bool {
        if case .lingering = phase { return true }
        return readsRequests
    }

    package mutating func bytesArrived(now: UInt64) {
        if case .waiting = phase { phase = .receivingHead(since: now) }
    }

    package mutating func headReceived() {
        if case .receivingHead(let since) = phase { phase = .receivingBody(since: since) }
    }

    package mutating func requestComplete() { phase = .processing }

    /// A final answer starts going out; returns whether the connection is kept after it.
    ///
    /// `requested` is false when the request asked for close or the answer must close (an early error, a framing
    /// error). While draining, the connection is kept only to answer requests already pipelined behind this one
    /// (they get 503); `hasPipelinedInput` is asked only then.
    package mutating func responseStarted(now: UInt64, requested: Bool, hasPipelinedInput: () -> Bool) -> Bool {
        let keepAlive = requested && (!isDraining || hasPipelinedInput())
        phase = .writing(lastProgress: now, keepAlive: keepAlive)
        return keepAlive
    }

    /// Bytes left; an interim `100 Continue` written while the body arrives does not change the phase.
    package mutating func wrote(now: UInt64) {
        if case .writing(_, let keepAlive) = phase { phase = .writing(lastProgress: now, keepAlive: keepAlive) }
    }

    /// The answer is out: read the next request, or linger and close. A drain that began while the answer was being
    /// written closes the connection too, unless requests are already pipelined behind it (they get 503).
    package mutating func responseSent(now: UInt64, hasPipelinedInput: () -> Bool = { false }) -> AfterResponse {
        guard case .writing(_, true) = phase, !isDraining || hasPipelinedInput() else {
            phase = .lingering(until: now &+ lingerTimeout)
            return .linger
        }
        phase = .waiting(since: now, afterResponse: true)
        return .readNextRequest
    }

    package mutating func closed() { phase = .closed }

    /// When the timer should next fire, or nil when no timeout applies.
    package var deadline: UInt64? {
        switch phase {
        case .waiting(let since, let afterResponse): since &+ (afterResponse ? idleTimeout : readTimeout)
        case .receivingHead(let since), .receivingBody(let since): since &+ readTimeout
        case .writing(let lastProgress, _): lastProgress &+ idleTimeout
        case .lingering(let until): until
        case .processing, .closed: nil
        }
    }

    package mutating func timerFired(now: UInt64) -> TimeoutAction {
        guard let deadline, now >= deadline else { return .none }
        switch phase {
        case .waiting, .writing, .lingering:
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
        case .receivingBody, .processing, .writing, .lingering:
            return .finishThenClose
        }
    }

    private static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
    }
}
