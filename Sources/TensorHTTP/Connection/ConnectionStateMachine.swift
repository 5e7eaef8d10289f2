/// The life of one HTTP/1.1 connection and its timeouts, as a value: every event goes in with the facts it needs
/// (the time, whether the client has sent more bytes) and comes back as one `Action`.
///
/// No I/O here, so keep-alive, lingering, timeout and drain rules are tested on a fake clock without sockets. Whether
/// a connection is kept after an answer, lingers or closes, which timer is armed, and what a drain does are decided
/// here only; the connection carries the actions out. It closes on its own only when something outside the rules
/// ends the connection (the peer's end of stream or reset, a failed read, write, TLS handshake or registration, a
/// streamed answer that failed), and tells the machine so (`closed`), which is final.
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
        /// Final: nothing more happens.
        case closed
    }

    package enum Event: Equatable, Sendable {
        /// Bytes of a request arrived; the first ones start its read timeout.
        case requestBytes(now: UInt64)
        /// The request's head is whole (and its body, if any, is next).
        case headReceived
        /// The request is whole and goes to the handler.
        case requestComplete
        /// A final answer is ready. `keepAliveAllowed`: what the request and the answer allow (`Connection: close`,
        /// HTTP/1.0). `pipelinedInput`: the client has sent bytes past this request (asked for only while draining).
        case answerReady(now: UInt64, keepAliveAllowed: Bool, pipelinedInput: Bool)
        /// Bytes of an answer (or an interim `100 Continue`) left.
        case wrote(now: UInt64)
        /// The answer's last byte left.
        case answerSent(now: UInt64, pipelinedInput: Bool)
        /// Everything read has been decoded and no request is whole yet.
        case inputDecoded(pipelinedInput: Bool)
        case timerFired(now: UInt64)
        /// SIGTERM.
        case drain
        /// The connection closed: the peer or the socket ended it, or an action said so.
        case closed
    }

    package enum Action: Equatable, Sendable {
        /// Carry on (read, decode, write as the phase allows).
        case none
        /// Close without a word.
        case close
        /// Part of a request arrived, then nothing in time: answer 408 (the answer closes the connection).
        case answerTimeout
        /// A request's head arrived while draining: answer 503 (the answer closes the connection).
        case answerDraining
        /// Write the answer; `keepAlive` says whether the connection reads another request after it.
        case writeAnswer(keepAlive: Bool)
        /// The answer is out: read the next request.
        case readNextRequest
        /// The answer is out: shut our side, drop what the client still sends, close at the deadline.
        case linger
    }

    package let readTimeout: UInt64
    package let idleTimeout: UInt64
    package let lingerTimeout: UInt64
    package private(set) var phase: Phase
    package private(set) var isDraining = false
    /// When the current request's first byte arrived; nil between requests.
    package private(set) var requestStart: UInt64?

    package init(now: UInt64, readTimeout: Duration, idleTimeout: Duration, lingerTimeout: Duration = .seconds(2)) {
        self.readTimeout = Self.nanoseconds(readTimeout)
        self.idleTimeout = Self.nanoseconds(idleTimeout)
        self.lingerTimeout = Self.nanoseconds(lingerTimeout)
        phase = .waiting(since: now, afterResponse: false)
    }

    /// Whether bytes that arrive now belong to a request.
    package var readsRequests: Bool {
        switch phase {
        case .waiting, .receivingHead, .receivingBody: true
        case .processing, .writing, .lingering, .closed: false
        }
    }

    /// Whether what arrives is read only to be dropped (lingering).
    package var discardsInput: Bool {
        if case .lingering = phase { return true }
        return false
    }

    /// Whether the socket is read at all: for requests, or to drop what a lingering client sends.
    package var readsSocket: Bool { readsRequests || discardsInput }

    package var isClosed: Bool { phase == .closed }

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

    package mutating func handle(_ event: Event) -> Action {
        if phase == .closed { return .none }
        switch event {
        case .requestBytes(let now):
            if case .waiting = phase {
                phase = .receivingHead(since: now)
                requestStart = now
            }
            return .none
        case .headReceived:
            if case .receivingHead(let since) = phase { phase = .receivingBody(since: since) }
            return isDraining ? .answerDraining : .none
        case .requestComplete:
            phase = .processing
            return .none
        case .answerReady(let now, let keepAliveAllowed, let pipelinedInput):
            // An answer given before its request is whole (an error in the head, a refused body, a timeout, a drain)
            // leaves unread bytes of that request behind: the connection cannot be kept. While draining, it is kept
            // only to answer requests already pipelined behind this one (they get 503).
            let isRequestWhole = phase == .processing
            let keepAlive = isRequestWhole && keepAliveAllowed && (!isDraining || pipelinedInput)
            phase = .writing(lastProgress: now, keepAlive: keepAlive)
            return .writeAnswer(keepAlive: keepAlive)
        case .wrote(let now):
            if case .writing(_, let keepAlive) = phase { phase = .writing(lastProgress: now, keepAlive: keepAlive) }
            return .none
        case .answerSent(let now, let pipelinedInput):
            requestStart = nil
            // A drain that began while the answer was being written closes the connection too, unless requests are
            // already pipelined behind it.
            guard case .writing(_, true) = phase, !isDraining || pipelinedInput else {
                phase = .lingering(until: now &+ lingerTimeout)
                return .linger
            }
            phase = .waiting(since: now, afterResponse: true)
            return .readNextRequest
        case .inputDecoded(let pipelinedInput):
            // Draining with no request in flight and nothing more to read: close. (Bytes still pipelined are read and
            // answered 503, or 408 if they never make a whole request.)
            switch phase {
            case .waiting, .receivingHead: return isDraining && !pipelinedInput ? .close : .none
            default: return .none
            }
        case .timerFired(let now):
            guard let deadline, now >= deadline else { return .none }
            switch phase {
            case .waiting, .writing, .lingering: return .close
            case .receivingHead, .receivingBody: return .answerTimeout
            case .processing, .closed: return .none
            }
        case .drain:
            // A request whose head has arrived is finished; anything earlier is closed.
            isDraining = true
            switch phase {
            case .waiting, .receivingHead: return .close
            case .receivingBody, .processing, .writing, .lingering, .closed: return .none
            }
        case .closed:
            // `requestStart` stays: an answer that arrives after the close is still logged with its request's time.
            phase = .closed
            return .none
        }
    }

    private static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
    }
}
