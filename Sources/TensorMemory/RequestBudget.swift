/// The part of the in-flight budget one request holds, from its head until the last of its memory is let go.
///
/// The connection reserves the body (a Content-Length body whole from its head, a chunked one as it grows); the
/// service reserves what decoding and answering will allocate (a JSON tensor's elements, its answer text, an
/// inflated body) before allocating it. Everything is given back when the answer has been written, or, when the
/// connection closes first, once the last holder (a worker still computing) lets go of the request: until then
/// its memory is still in use. After either, new reservations are refused. Shared between the connection's loop
/// and a worker, hence the lock.
package final class RequestBudget: Sendable {
    private let budget: InflightBudget
    private let state = Locked(State())

    private struct State {
        var bytes = 0
        var isEnded = false
    }

    package init(budget: InflightBudget) { self.budget = budget }

    deinit { releaseAll() }

    /// Bytes held now.
    package var bytes: Int { state.withLock { $0.bytes } }

    /// True once the request is over (answered, or its connection closed): work for it may stop.
    package var isEnded: Bool { state.withLock { $0.isEnded } }

    /// Takes `bytes` more.
    package func reserve(_ bytes: Int) -> Admission {
        guard bytes > 0 else { return .granted }
        return state.withLock { state in
            guard !state.isEnded else { return .busy }
            if bytes > budget.limit - state.bytes { return .exceedsLimit(budget.limit) }
            guard budget.reserve(bytes) else { return .busy }
            state.bytes += bytes
            return .granted
        }
    }

    /// What the codecs ask before allocating for this request: a reservation from its share of the in-flight
    /// budget, so the budget bounds the memory a request holds at its peak, not just its body.
    package var admission: MemoryAdmission { { [self] bytes in reserve(bytes) } }

    /// Raises what is held to at least `total` bytes (a body's size so far).
    package func grow(to total: Int) -> Admission {
        state.withLock { state in
            guard total > state.bytes else { return .granted }
            if total > budget.limit { return .exceedsLimit(budget.limit) }
            guard !state.isEnded, budget.reserve(total - state.bytes) else { return .busy }
            state.bytes = total
            return .granted
        }
    }

    /// Gives back `bytes` of what is held (memory let go before the answer is written, such as a decoded body).
    package func release(_ bytes: Int) {
        state.withLock { state in
            let given = min(max(bytes, 0), state.bytes)
            budget.release(given)
            state.bytes -= given
        }
    }

    /// The connection closed with the request unanswered: no more reservations, but what is held stays held
    /// until the request is let go (a worker may still be using it).
    package func end() {
        state.withLock { $0.isEnded = true }
    }

    /// Gives everything back; later reservations are refused.
    package func releaseAll() {
        state.withLock { state in
            budget.release(state.bytes)
            state.bytes = 0
            state.isEnded = true
        }
    }
}
