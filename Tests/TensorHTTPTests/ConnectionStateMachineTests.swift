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
        m.responseStarted(now: 4 * second)
        m.wrote(now: 5 * second)
        #expect(m.deadline == 65 * second)
        let keepsReading = m.responseSent(now: 6 * second, keepAlive: true)
        #expect(keepsReading)
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

    @Test func closeAfterAResponseWithoutKeepAlive() {
        var m = machine()
        m.requestComplete()
        let keepsReading = m.responseSent(now: 1, keepAlive: false)
        #expect(keepsReading == false)
        #expect(m.phase == .closed)
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
