/// The part of the in-flight budget one request holds, from its head until its answer has left.
///
/// The connection reserves the body (a Content-Length body whole from its head, a chunked one as it grows); the
/// service reserves what decoding and answering will allocate (a JSON tensor's elements, its answer text, an
/// inflated body) before allocating it. Everything is given back at once when the answer has been written or the
/// connection closed; a reservation asked for after that is refused, so a worker finishing late cannot leak any.
/// Shared between the connection's loop and a worker, hence the lock.
package final class RequestBudget: Sendable {
    private let budget: InflightBudget
    private let state = Locked(State())

    private struct State {
        var bytes = 0
        var isReleased = false
    }

    package init(budget: InflightBudget) { self.budget = budget }

    /// Bytes held now.
    package var bytes: Int { state.withLock { $0.bytes } }

    /// Takes `bytes` more; false (and nothing taken) when the budget has no room or the request is over.
    package func reserve(_ bytes: Int) -> Bool {
        guard bytes > 0 else { return true }
        return state.withLock { state in
            guard !state.isReleased, budget.reserve(bytes) else { return false }
            state.bytes += bytes
            return true
        }
    }

    /// Raises what is held to at least `total` bytes (a body's size so far).
    package func grow(to total: Int) -> Bool {
        state.withLock { state in
            guard total > state.bytes else { return true }
            guard !state.isReleased, budget.reserve(total - state.bytes) else { return false }
            state.bytes = total
            return true
        }
    }

    /// Gives everything back; later reservations are refused.
    package func releaseAll() {
        state.withLock { state in
            budget.release(state.bytes)
            state.bytes = 0
            state.isReleased = true
        }
    }
}
