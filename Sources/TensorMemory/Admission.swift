/// What a request may allocate: the one answer of every admission in the product (a body's bytes as they arrive, a
/// decoded tensor, an answer's text, an inflated body).
public enum Admission: Equatable, Sendable {
    case granted
    /// Not now: the server's in-flight budget is held by other requests, or this request is over.
    case busy
    /// Never: the request alone would hold more than the whole budget, `limit` bytes.
    case exceedsLimit(Int)
}

/// Asked before a codec allocates memory for a request's tensor or answer.
public typealias MemoryAdmission = @Sendable (Int) -> Admission

/// Admits anything: for callers without a budget (tests, benchmarks).
public let admitAnything: MemoryAdmission = { _ in .granted }
