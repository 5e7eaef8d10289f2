/// The part of the in-flight budget one connection holds for the request it is reading or answering.
///
/// A Content-Length body is reserved whole from its head; a chunked body grows its reservation as it arrives.
/// Everything is given back once the answer has left, or when the connection closes.
struct BodyReservation {
    let budget: InflightBudget
    private(set) var bytes = 0

    init(budget: InflightBudget) { self.budget = budget }

    /// Raises the reservation to `total` bytes; false (and nothing more taken) when the budget has no room.
    mutating func grow(to total: Int) -> Bool {
        guard total > bytes else { return true }
        guard budget.reserve(total - bytes) else { return false }
        bytes = total
        return true
    }

    mutating func release() {
        budget.release(bytes)
        bytes = 0
    }
}
