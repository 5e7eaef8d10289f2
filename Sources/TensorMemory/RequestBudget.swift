import Synchronization

/// The part of the in-flight budget one request holds, from its head until the last of its memory is let go.
///
/// The connection reserves the body (a Content-Length body whole from its head, a chunked one as it grows); the
/// service reserves what decoding and answering will allocate (a JSON tensor's elements, its answer text, an
/// inflated body) before allocating it. Everything is given back when the answer has been written, or, when the
/// connection closes first, once the last holder (a worker still computing) lets go of the request: until then
/// its memory is still in use. After either, new reservations are refused. Shared between the connection's loop
/// and a worker, hence the atomic state.
package final class RequestBudget: Sendable {
    private let budget: InflightBudget
    /// Bytes held, with `endedFlag` set once the request is over: one atomic word, so a request's share costs one
    /// allocation (this object) and no lock (a lock object and its mutex were two more per request).
    private let state = Atomic<Int>(0)
    private static let endedFlag = 1 << 62

    package init(budget: InflightBudget) { self.budget = budget }

    deinit { releaseAll() }

    /// Bytes held now.
    package var bytes: Int { state.load(ordering: .acquiring) & ~Self.endedFlag }

    /// True once the request is over (answered, or its connection closed): work for it may stop.
    package var isEnded: Bool { state.load(ordering: .acquiring) & Self.endedFlag != 0 }

    /// Takes `bytes` more.
    package func reserve(_ bytes: Int) -> Admission {
        guard bytes > 0 else { return .granted }
        var current = state.load(ordering: .acquiring)
        while true {
            guard current & Self.endedFlag == 0 else { return .busy }
            if bytes > budget.limit - current { return .exceedsLimit(budget.limit) }
            guard budget.reserve(bytes) else { return .busy }
            let (exchanged, seen) = state.compareExchange(expected: current, desired: current + bytes, ordering: .acquiringAndReleasing)
            if exchanged { return .granted }
            // Changed meanwhile (released, or ended): give the budget back and decide again.
            budget.release(bytes)
            current = seen
        }
    }

    /// Makes a request's share new again for the next request, when nothing else holds it (a connection reuses it).
    package func reopen() {
        releaseAll()
        state.store(0, ordering: .releasing)
    }

    /// What the codecs ask before allocating for this request: a reservation from its share of the in-flight
    /// budget, so the budget bounds the memory a request holds at its peak, not just its body.
    package var admission: MemoryAdmission { MemoryAdmission(budget: self) }

    /// Raises what is held to at least `total` bytes (a body's size so far).
    package func grow(to total: Int) -> Admission {
        var current = state.load(ordering: .acquiring)
        while true {
            let held = current & ~Self.endedFlag
            guard total > held else { return .granted }
            if total > budget.limit { return .exceedsLimit(budget.limit) }
            guard current & Self.endedFlag == 0, budget.reserve(total - held) else { return .busy }
            let (exchanged, seen) = state.compareExchange(expected: current, desired: total, ordering: .acquiringAndReleasing)
            if exchanged { return .granted }
            budget.release(total - held)
            current = seen
        }
    }

    /// Gives back `bytes` of what is held (memory let go before the answer is written, such as a decoded body).
    package func release(_ bytes: Int) {
        var current = state.load(ordering: .acquiring)
        while true {
            let given = min(max(bytes, 0), current & ~Self.endedFlag)
            let (exchanged, seen) = state.compareExchange(expected: current, desired: current - given, ordering: .acquiringAndReleasing)
            if exchanged { return budget.release(given) }
            current = seen
        }
    }

    /// The connection closed with the request unanswered: no more reservations, but what is held stays held
    /// until the request is let go (a worker may still be using it).
    package func end() {
        state.bitwiseOr(Self.endedFlag, ordering: .acquiringAndReleasing)
    }

    /// Gives everything back; later reservations are refused.
    package func releaseAll() {
        let previous = state.exchange(Self.endedFlag, ordering: .acquiringAndReleasing)
        budget.release(previous & ~Self.endedFlag)
    }
}
