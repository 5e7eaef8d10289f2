/// The floating-point element types the kernel computes on.
public enum DType: String, CaseIterable, Sendable, Hashable {
    case float16
    case bfloat16
    case float32
    case float64

    /// Bytes per element.
    public var itemSize: Int {
        switch self {
        case .float16, .bfloat16: 2
        case .float32: 4
        case .float64: 8
        }
    }
}
