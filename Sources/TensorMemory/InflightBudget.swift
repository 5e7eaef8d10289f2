import Synchronization

/// Body bytes held across all connections, so a burst of large requests cannot take more memory than allowed.
package final class InflightBudget: Sendable {
    package let limit: Int
    private let held = Atomic<Int>(0)

    package init(limit: Int) { self.limit = limit }

    package var heldBytes: Int { held.load(ordering: .relaxed) }

    /// Takes `bytes` from the budget; false (and nothing taken) when that would pass the limit.
    /// A single request may always take up to the limit when nothing else is held.
    package func reserve(_ bytes: Int) -> Bool {
        guard bytes > 0 else { return true }
        var current = held.load(ordering: .relaxed)
        while true {
            if current + bytes > limit { return false }
            let (exchanged, original) = held.compareExchange(
                expected: current, desired: current + bytes, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
    }

    package func release(_ bytes: Int) {
        guard bytes > 0 else { return }
        held.subtract(bytes, ordering: .relaxed)
    }
}
