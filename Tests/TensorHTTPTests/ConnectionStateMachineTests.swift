import Testing
@testable import TensorHTTP

/// Timeouts, keep-alive and drain rules on a fake clock: times are plain nanoseconds, nothing sleeps.
@Suite struct ConnectionStateMachineTests {
    let second: UInt64 = 1_000_000_000

    func machine() -> ConnectionStateMachine {
        ConnectionStateMachine(now: 0, readTimeout: .seconds(30), idleTimeout: .seconds(60))
    }

    @Test func silentNewConnectionClosesAtTheReadTimeout() {
        var m = machine()
        #expect(m.deadline == 30 * second)
        #expect(m.timerFired(now: 29 * second) == .none)
        #expect(m.timerFired(now: 30 * second) == .close)
    }

    @Test func partialRequestGets408FromItsFirstByte() {
        var m = machine()
        m.bytesArrived(now: 10 * second)
        #expect(m.deadline == 40 * second)
        m.bytesArrived(now: 35 * second)
        #expect(m.deadline == 40 * second, "more bytes do not extend the deadline")
        #expect(m.timerFired(now: 40 * second) == .respondTimeoutAndClose)
    }

    @Test func processingHasNoDeadlineAndKeepAliveUsesTheIdleTimeout() {
        var m = machine()
        m.bytesArrived(now: 1)
        m.headReceived()
        m.requestComplete()
        #expect(m.deadline == nil)
        let keepAlive = m.responseStarted(now: 4 * second, requested: true, hasPipelinedInput: { false })
        #expect(keepAlive)
        m.wrote(now: 5 * second)
        #expect(m.deadline == 65 * second)
        let next = m.responseSent(now: 6 * second)
        #expect(next == .readNextRequest)
        #expect(m.deadline == 66 * second)
        #expect(m.timerFired(now: 66 * second) == .close)
    }

    @Test func interimWritesWhileReceivingKeepTheReadDeadline() {
        var m = machine()
        m.bytesArrived(now: 1 * second)
        m.headReceived()
        m.wrote(now: 2 * second)
        #expect(m.phase == .receivingBody(since: 1 * second))
        #expect(m.deadline == 31 * second)
    }

    @Test func lingerAfterAResponseWithoutKeepAliveThenClose() {
        var m = machine()
        m.requestComplete()
        let keepAlive = m.responseStarted(now: 1, requested: false, hasPipelinedInput: { true })
        #expect(keepAlive == false)
        let next = m.responseSent(now: 1 * second)
        #expect(next == .linger)
        #expect(m.phase == .lingering(until: 3 * second))
        #expect(m.readsSocket && !m.readsRequests, "a lingering connection drops what it reads")
        let early = m.timerFired(now: 2 * second)
        let due = m.timerFired(now: 3 * second)
        #expect(early == .none && due == .close)
        #expect(m.phase == .closed)
    }

    @Test func drainKeepsTheConnectionOnlyForPipelinedRequests() {
        var alone = machine()
        alone.requestComplete()
        #expect(alone.beginDrain() == .finishThenClose)
        let aloneKept = alone.responseStarted(now: 1, requested: true, hasPipelinedInput: { false })
        #expect(aloneKept == false)
        var pipelined = machine()
        pipelined.requestComplete()
        _ = pipelined.beginDrain()
        let pipelinedKept = pipelined.responseStarted(now: 1, requested: true, hasPipelinedInput: { true })
        #expect(pipelinedKept)
        var notDraining = machine()
        notDraining.requestComplete()
        var asked = false
        let kept = notDraining.responseStarted(now: 1, requested: true, hasPipelinedInput: { asked = true; return false })
        #expect(kept)
        #expect(!asked, "the socket is asked about pipelined bytes only while draining")
    }

    @Test func drainClosesIdleAndHalfHeadsButFinishesInFlight() {
        var idle = machine()
        #expect(idle.beginDrain() == .closeNow)
        var halfHead = machine()
        halfHead.bytesArrived(now: 1)
        #expect(halfHead.beginDrain() == .closeNow)
        var body = machine()
        body.bytesArrived(now: 1)
        body.headReceived()
        #expect(body.beginDrain() == .finishThenClose)
        #expect(body.isDraining)
        var working = machine()
        working.requestComplete()
        #expect(working.beginDrain() == .finishThenClose)
    }
}
