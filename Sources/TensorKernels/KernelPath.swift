import CTensorKernels

/// A vector instruction set the kernels are built for; the fastest one the CPU supports is picked at run time.
public enum KernelPath: Int, CaseIterable, Sendable, CustomStringConvertible {
    /// Portable loops vectorized for the compiler's baseline (SSE2 on x86-64, NEON on arm64).
    case portable = 0
    /// AVX2 with F16C conversions.
    case avx2 = 1
    /// AVX-512 F/BW/VL/DQ with masked tails.
    case avx512 = 2

    /// The fastest path this CPU and OS support, detected once.
    public static let best: KernelPath = KernelPath(rawValue: Int(tk_best_path().rawValue)) ?? .portable

    /// Whether this CPU can run the path; forcing an unsupported one falls back to `best`.
    public var isSupported: Bool { tk_path_supported(cPath) }

    /// Every path this machine can run, for tests that force each one.
    public static var supported: [KernelPath] { allCases.filter(\.isSupported) }

    public var description: String {
        switch self {
        case .portable: "portable"
        case .avx2: "avx2"
        case .avx512: "avx512"
        }
    }

    var cPath: tk_path { tk_path(rawValue: UInt32(rawValue)) }
}
