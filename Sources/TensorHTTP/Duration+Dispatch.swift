import Dispatch

extension Duration {
    /// The same span for Dispatch's waits and deadlines (nanoseconds; negative spans count as zero).
    package var dispatchInterval: DispatchTimeInterval {
        let (seconds, attoseconds) = components
        return .nanoseconds(max(0, Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)))
    }
}
