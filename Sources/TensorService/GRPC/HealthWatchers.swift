import TensorHTTP
import TensorMemory

/// The open `grpc.health.v1.Health/Watch` calls: each is told NOT_SERVING, and ended, when the server drains.
final class HealthWatchers: Sendable {
    private let state = Locked(State())

    private struct State {
        var watchers: [ObjectIdentifier: (call: HealthWatchCall, output: GRPCOutput)] = [:]
        var isDraining = false
    }

    /// Starts watching: the status now goes out at once.
    func add(_ call: HealthWatchCall, output: GRPCOutput) {
        let isDraining = state.withLock { state -> Bool in
            if !state.isDraining { state.watchers[ObjectIdentifier(call)] = (call, output) }
            return state.isDraining
        }
        if isDraining {
            call.drainBegan(output: output)
        } else {
            output.send([.bytes(GRPCMessages.health(serving: true))])
        }
    }

    func remove(_ call: HealthWatchCall) {
        _ = state.withLock { $0.watchers.removeValue(forKey: ObjectIdentifier(call)) }
    }

    /// SIGTERM: every watcher hears NOT_SERVING and its call ends.
    func drain() {
        let watchers = state.withLock { state in
            state.isDraining = true
            defer { state.watchers.removeAll() }
            return Array(state.watchers.values)
        }
        for watcher in watchers { watcher.call.drainBegan(output: watcher.output) }
    }
}
