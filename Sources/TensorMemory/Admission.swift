/// What a request may allocate: the one answer of every admission in the product (a body's bytes as they arrive, a
/// decoded tensor, an answer's text, an inflated body).
public enum Admission: Equatable, Sendable {
    case granted
    /// Not now: the server's in-flight budget is held by other requests, or this request is over.
    case busy
    /// Never: the request alone would hold more than the whole budget, `limit` bytes.
    case exceedsLimit(Int)
}

/// Asked before a codec allocates memory for a request's tensor or answer: `admit(bytes)`.
///
/// A value holding the request's share of the budget, not a closure: a closure capturing the share would be
/// allocated each time a request asks for it, and a request asks on every tensor it decodes or answers.
public struct MemoryAdmission: Sendable {
    private let budget: RequestBudget?
    private let decide: (@Sendable (Int) -> Admission)?

    /// Reservations from `budget`; anything is admitted when it is nil (a request without a body's budget).
    package init(budget: RequestBudget?) {
        self.budget = budget
        decide = nil
    }

    /// Any other rule (tests, benchmarks).
    public init(_ decide: @escaping @Sendable (Int) -> Admission) {
        budget = nil
        self.decide = decide
    }

    public func callAsFunction(_ bytes: Int) -> Admission {
        if let budget { return budget.reserve(bytes) }
        return decide?(bytes) ?? .granted
    }
}

/// Admits anything: for callers without a budget (tests, benchmarks).
public let admitAnything = MemoryAdmission(budget: nil)
