/// How a JSON request laid out its data, so the answer can mirror it.
public enum TensorLayout: Sendable, Equatable {
    /// Nested arrays (or a bare number for a 0-d tensor), as NumPy's `tolist()` gives.
    case nested
    /// A flat array beside an explicit `shape`.
    case flat
}
