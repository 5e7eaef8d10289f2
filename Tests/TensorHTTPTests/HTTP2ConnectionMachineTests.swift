import Testing
@testable import TensorHTTP

/// Every phase × event of the HTTP/2 connection's life, on a fake clock (nanoseconds), with no socket.
@Suite struct HTTP2ConnectionMachineTests {
    private typealias Machine = HTTP2ConnectionMachine
    private static let second: UInt64 = 1_000_000_000

    /// A machine in each phase, made by events from a fresh one (idle timeout 10 s, linger 2 s, opened at 0).
    private static func machine(_ phase: String) -> Machine {
        var machine = Machine(now: 0, idleTimeout: .seconds(10), lingerTimeout: .seconds(2))
        switch phase {
        case "idle": break
        case "busy": _ = machine.handle(.streamOpened)
        case "draining idle": _ = machine.handle(.drain(now: 0, openStreams: 0))
        case "draining busy":
            _ = machine.handle(.streamOpened)
            _ = machine.handle(.drain(now: 0, openStreams: 1))
        case "closed": _ = machine.handle(.transportEnded)
        default: preconditionFailure(phase)
        }
        return machine
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var phase: String
        var event: HTTP2ConnectionMachine.Event
        var action: HTTP2ConnectionMachine.Action
        var after: HTTP2ConnectionMachine.Phase
        var testDescription: String { "\(phase) + \(event) → \(action), \(after)" }
    }

    static let rows: [Row] = [
        // Serving, no stream open: the idle timeout runs from when it became idle.
        Row(phase: "idle", event: .streamOpened, action: .none, after: .serving(idleSince: nil)),
        Row(phase: "idle", event: .timerFired(now: 9 * second), action: .none, after: .serving(idleSince: 0)),
        Row(phase: "idle", event: .timerFired(now: 10 * second), action: .sendGoAway, after: .draining(idleSince: 10 * second)),
        Row(phase: "idle", event: .drain(now: 5, openStreams: 0), action: .sendGoAway, after: .draining(idleSince: 5)),
        Row(phase: "idle", event: .sessionFinished, action: .close, after: .closed),
        Row(phase: "idle", event: .transportEnded, action: .close, after: .closed),
        // Serving with streams: no timeout; the last stream's close starts the idle one.
        Row(phase: "busy", event: .timerFired(now: 100 * second), action: .none, after: .serving(idleSince: nil)),
        Row(phase: "busy", event: .streamClosed(now: 7, openStreams: 1), action: .none, after: .serving(idleSince: nil)),
        Row(phase: "busy", event: .streamClosed(now: 7, openStreams: 0), action: .none, after: .serving(idleSince: 7)),
        Row(phase: "busy", event: .drain(now: 5, openStreams: 1), action: .sendGoAway, after: .draining(idleSince: nil)),
        Row(phase: "busy", event: .sessionFinished, action: .close, after: .closed),
        Row(phase: "busy", event: .transportEnded, action: .close, after: .closed),
        // Draining: streams finish; with none left it closes after the linger, or as soon as the session is done.
        Row(phase: "draining busy", event: .streamClosed(now: 3, openStreams: 0), action: .none, after: .draining(idleSince: 3)),
        Row(phase: "draining busy", event: .timerFired(now: 100 * second), action: .none, after: .draining(idleSince: nil)),
        Row(phase: "draining busy", event: .streamOpened, action: .none, after: .draining(idleSince: nil)),
        Row(phase: "draining idle", event: .timerFired(now: 1 * second), action: .none, after: .draining(idleSince: 0)),
        Row(phase: "draining idle", event: .timerFired(now: 2 * second), action: .close, after: .closed),
        Row(phase: "draining idle", event: .drain(now: 1, openStreams: 0), action: .none, after: .draining(idleSince: 0)),
        Row(phase: "draining idle", event: .sessionFinished, action: .close, after: .closed),
        Row(phase: "draining idle", event: .transportEnded, action: .close, after: .closed),
        // Closed is final.
        Row(phase: "closed", event: .streamOpened, action: .none, after: .closed),
        Row(phase: "closed", event: .drain(now: 1, openStreams: 0), action: .none, after: .closed),
        Row(phase: "closed", event: .timerFired(now: .max), action: .none, after: .closed),
        Row(phase: "closed", event: .sessionFinished, action: .none, after: .closed),
        Row(phase: "closed", event: .transportEnded, action: .none, after: .closed),
        Row(phase: "closed", event: .streamClosed(now: 1, openStreams: 0), action: .none, after: .closed),
    ]

    @Test(arguments: rows)
    func eachPhaseAndEvent(_ row: Row) {
        var machine = Self.machine(row.phase)
        #expect(machine.handle(row.event) == row.action)
        #expect(machine.phase == row.after)
    }

    @Test("The deadline follows the phase: idle timeout, linger, none while streams are open or once closed")
    func deadlines() {
        #expect(Self.machine("idle").deadline == 10 * Self.second)
        #expect(Self.machine("busy").deadline == nil)
        #expect(Self.machine("draining idle").deadline == 2 * Self.second)
        #expect(Self.machine("draining busy").deadline == nil)
        #expect(Self.machine("closed").deadline == nil)
    }
}
