import Testing
@testable import TensorHTTP

/// Every state × every event of the HTTP/1.1 connection's machine, on a fake clock: times are plain nanoseconds,
/// nothing sleeps, no socket is involved.
@Suite struct ConnectionStateMachineTests {
    typealias Machine = ConnectionStateMachine
    static let s: UInt64 = 1_000_000_000
    /// Late enough that every deadline below is due (read 30 s, idle 60 s, linger 2 s).
    static let late: UInt64 = 100 * s

    /// The states, each reached from a new connection by the events a real connection sends.
    enum State: CaseIterable, Sendable {
        case waitingNew, receivingHead, receivingBody, processing, writingKept, writingClosing, waitingAfterAnswer,
            lingering, closed

        func reach(draining: Bool = false) -> Machine {
            var m = Machine(now: 0, readTimeout: .seconds(30), idleTimeout: .seconds(60))
            let steps: [Machine.Event]
            let bytes = Machine.Event.requestBytes(now: 10 * s)
            let answer = Machine.Event.answerReady(now: 20 * s, keepAliveAllowed: true, pipelinedInput: false)
            let closingAnswer = Machine.Event.answerReady(now: 20 * s, keepAliveAllowed: false, pipelinedInput: false)
            let sent = Machine.Event.answerSent(now: 30 * s, pipelinedInput: false)
            switch self {
            case .waitingNew: steps = []
            case .receivingHead: steps = [bytes]
            case .receivingBody: steps = [bytes, .headReceived]
            case .processing: steps = [bytes, .headReceived, .requestComplete]
            case .writingKept: steps = [bytes, .headReceived, .requestComplete, answer]
            case .writingClosing: steps = [bytes, .headReceived, .requestComplete, closingAnswer]
            case .waitingAfterAnswer: steps = [bytes, .headReceived, .requestComplete, answer, sent]
            case .lingering: steps = [bytes, .headReceived, .requestComplete, closingAnswer, sent]
            case .closed: steps = [bytes, .closed]
            }
            for step in steps { _ = m.handle(step) }
            if draining { _ = m.handle(.drain) }
            return m
        }
    }

    static let events: [Machine.Event] = [
        .requestBytes(now: late), .headReceived, .requestComplete,
        .answerReady(now: late, keepAliveAllowed: true, pipelinedInput: false), .wrote(now: late),
        .answerSent(now: late, pipelinedInput: false), .inputDecoded(pipelinedInput: false), .timerFired(now: late),
        .drain, .closed,
    ]

    /// What each event does in each state (not draining), in the order of `events`: the action and the phase after.
    static let table: [State: [(Machine.Action, Machine.Phase)]] = {
        let head = Machine.Phase.receivingHead(since: late)
        let written = Machine.Phase.writing(lastProgress: late, keepAlive: false)
        let lingering = Machine.Phase.lingering(until: late + 2 * s)
        var table: [State: [(Machine.Action, Machine.Phase)]] = [:]
        // An answer before the request is whole cannot keep the connection; neither can one sent from a phase that
        // wrote nothing. A due timer closes a quiet connection and answers 408 to a partial request.
        let waiting = Machine.Phase.waiting(since: 0, afterResponse: false)
        table[.waitingNew] = [
            (.none, head), (.none, waiting), (.none, .processing), (.writeAnswer(keepAlive: false), written),
            (.none, waiting), (.linger, lingering), (.none, waiting), (.close, waiting), (.close, waiting),
            (.none, .closed),
        ]
        let receivingHead = Machine.Phase.receivingHead(since: 10 * s)
        let receivingBody = Machine.Phase.receivingBody(since: 10 * s)
        table[.receivingHead] = [
            (.none, receivingHead), (.none, receivingBody), (.none, .processing),
            (.writeAnswer(keepAlive: false), written), (.none, receivingHead), (.linger, lingering),
            (.none, receivingHead), (.answerTimeout, receivingHead), (.close, receivingHead), (.none, .closed),
        ]
        table[.receivingBody] = [
            (.none, receivingBody), (.none, receivingBody), (.none, .processing),
            (.writeAnswer(keepAlive: false), written), (.none, receivingBody), (.linger, lingering),
            (.none, receivingBody), (.answerTimeout, receivingBody), (.none, receivingBody), (.none, .closed),
        ]
        table[.processing] = [
            (.none, .processing), (.none, .processing), (.none, .processing),
            (.writeAnswer(keepAlive: true), .writing(lastProgress: late, keepAlive: true)), (.none, .processing),
            (.linger, lingering), (.none, .processing), (.none, .processing), (.none, .processing), (.none, .closed),
        ]
        for (state, keepAlive) in [(State.writingKept, true), (.writingClosing, false)] {
            let writing = Machine.Phase.writing(lastProgress: 20 * s, keepAlive: keepAlive)
            table[state] = [
                (.none, writing), (.none, writing), (.none, .processing),
                (.writeAnswer(keepAlive: false), written), (.none, .writing(lastProgress: late, keepAlive: keepAlive)),
                keepAlive ? (.readNextRequest, .waiting(since: late, afterResponse: true)) : (.linger, lingering),
                (.none, writing), (.close, writing), (.none, writing), (.none, .closed),
            ]
        }
        let idle = Machine.Phase.waiting(since: 30 * s, afterResponse: true)
        table[.waitingAfterAnswer] = [
            (.none, head), (.none, idle), (.none, .processing), (.writeAnswer(keepAlive: false), written),
            (.none, idle), (.linger, lingering), (.none, idle), (.close, idle), (.close, idle), (.none, .closed),
        ]
        let lingeringAfter = Machine.Phase.lingering(until: 32 * s)
        table[.lingering] = [
            (.none, lingeringAfter), (.none, lingeringAfter), (.none, .processing),
            (.writeAnswer(keepAlive: false), written), (.none, lingeringAfter), (.linger, lingering),
            (.none, lingeringAfter), (.close, lingeringAfter), (.none, lingeringAfter), (.none, .closed),
        ]
        // Closed is final.
        table[.closed] = events.map { _ in (.none, .closed) }
        return table
    }()

    @Test("Each event in each state gives the tabled action and phase", arguments: State.allCases)
    func everyStateAndEvent(state: State) throws {
        let row = try #require(Self.table[state])
        #expect(row.count == Self.events.count)
        for (event, (action, phase)) in zip(Self.events, row) {
            var m = state.reach()
            #expect(m.handle(event) == action, "\(state) + \(event)")
            #expect(m.phase == phase, "\(state) + \(event)")
        }
    }

    @Test("While draining: heads get 503, idle and half-read connections close, answers keep it only for pipelined bytes")
    func drainingRows() {
        #expect(State.waitingNew.reach(draining: true).phase == .waiting(since: 0, afterResponse: false))
        var body = State.receivingHead.reach(draining: true)
        #expect(body.isDraining)
        #expect(body.handle(.headReceived) == .answerDraining)
        #expect(body.handle(.answerReady(now: 11 * Self.s, keepAliveAllowed: true, pipelinedInput: true)) == .writeAnswer(keepAlive: false))

        var alone = State.processing.reach(draining: true)
        #expect(alone.handle(.answerReady(now: 21 * Self.s, keepAliveAllowed: true, pipelinedInput: false)) == .writeAnswer(keepAlive: false))
        var pipelined = State.processing.reach(draining: true)
        #expect(pipelined.handle(.answerReady(now: 21 * Self.s, keepAliveAllowed: true, pipelinedInput: true)) == .writeAnswer(keepAlive: true))
        #expect(pipelined.handle(.answerSent(now: 22 * Self.s, pipelinedInput: true)) == .readNextRequest)

        // A drain that began while a kept answer was being written: closes unless requests are pipelined behind it.
        var writing = State.writingKept.reach(draining: true)
        #expect(writing.handle(.answerSent(now: 22 * Self.s, pipelinedInput: false)) == .linger)
        var writingPipelined = State.writingKept.reach(draining: true)
        #expect(writingPipelined.handle(.answerSent(now: 22 * Self.s, pipelinedInput: true)) == .readNextRequest)

        // Nothing left to decode: close when nothing is in flight and nothing more was sent.
        for state in [State.waitingAfterAnswer, .receivingHead] {
            var drained = state.reach(draining: true)
            #expect(drained.handle(.inputDecoded(pipelinedInput: true)) == .none, "\(state)")
            #expect(drained.handle(.inputDecoded(pipelinedInput: false)) == .close, "\(state)")
        }
        var inBody = State.receivingBody.reach(draining: true)
        #expect(inBody.handle(.inputDecoded(pipelinedInput: false)) == .none, "a request whose head arrived is finished")
    }

    @Test("Deadlines: read timeout from the first byte, none while processing, idle after an answer, then linger")
    func deadlines() {
        #expect(State.waitingNew.reach().deadline == 30 * Self.s)
        var head = State.receivingHead.reach()
        #expect(head.deadline == 40 * Self.s)
        _ = head.handle(.requestBytes(now: 35 * Self.s))
        #expect(head.deadline == 40 * Self.s, "more bytes do not extend the deadline")
        #expect(head.handle(.timerFired(now: 39 * Self.s)) == .none, "not due yet")
        #expect(head.requestStart == 10 * Self.s)
        #expect(State.receivingBody.reach().deadline == 40 * Self.s)
        #expect(State.processing.reach().deadline == nil)
        var writing = State.writingKept.reach()
        #expect(writing.deadline == 80 * Self.s)
        _ = writing.handle(.wrote(now: 50 * Self.s))
        #expect(writing.deadline == 110 * Self.s, "progress moves the write deadline")
        #expect(State.waitingAfterAnswer.reach().deadline == 90 * Self.s)
        #expect(State.waitingAfterAnswer.reach().requestStart == nil)
        var lingering = State.lingering.reach()
        #expect(lingering.deadline == 32 * Self.s)
        #expect(lingering.handle(.timerFired(now: 31 * Self.s)) == .none)
        #expect(State.closed.reach().deadline == nil)
    }

    @Test("Which bytes are read: requests until the request is whole, dropped while lingering, none once closed")
    func reading() {
        for state in State.allCases {
            let m = state.reach()
            let requests = [State.waitingNew, .receivingHead, .receivingBody, .waitingAfterAnswer].contains(state)
            #expect(m.readsRequests == requests, "\(state)")
            #expect(m.discardsInput == (state == .lingering), "\(state)")
            #expect(m.readsSocket == (requests || state == .lingering), "\(state)")
            #expect(m.isClosed == (state == .closed), "\(state)")
        }
    }
}
