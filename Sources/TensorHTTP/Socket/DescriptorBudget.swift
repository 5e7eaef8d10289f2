/// How many client connections fit under the process's descriptor limit, with room kept for everything else that
/// opens a descriptor while the server runs (metrics reading `/proc`, shared-memory regions, the spare descriptor).
///
/// Why at start: past the limit `accept4` fails with EMFILE, and so does every later `open`. A server whose
/// `--max-connections` cannot fit would otherwise find out under load, from its clients.
package struct DescriptorBudget: Equatable, Sendable {
    /// The soft `RLIMIT_NOFILE` in force (after raising it to the hard limit).
    package var limit: Int
    /// Descriptors open before the first client: standard streams, epolls, eventfds, listeners, the spare.
    package var inUse: Int
    /// Descriptors kept for other users while the server runs.
    package var reserved: Int

    package init(limit: Int, inUse: Int, reserved: Int) {
        self.limit = limit
        self.inUse = inUse
        self.reserved = reserved
    }

    /// Connections that can be open at once.
    package var connectionsThatFit: Int {
        let (free, overflow) = limit.subtractingReportingOverflow(inUse + reserved)
        return overflow ? 0 : max(0, free)
    }

    /// `requested` when it fits, else the most that fit (nil when not even one does).
    package func clamp(_ requested: Int) -> Int? {
        let fit = connectionsThatFit
        guard fit > 0 else { return nil }
        return min(requested, fit)
    }
}
