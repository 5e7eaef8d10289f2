import CTensorKernels

/// `Tensor.leaky_relu_` with PyTorch's CPU semantics, in place over caller-owned memory.
///
/// `y = x > 0 ? x : x * slope`. float16 and bfloat16 are widened to float32, multiplied by `Float(slope)` and
/// rounded once to nearest even; float32 multiplies by `Float(slope)`; float64 by `slope` itself. A NaN stays a NaN.
/// Pointers may have any alignment; the caller owns the memory and must not touch it during the call.
public enum LeakyReLU {
    /// The slope PyTorch uses when none is given.
    public static let defaultSlope = 0.01

    public static func applyFloat32(
        _ base: UnsafeMutableRawPointer, count: Int, slope: Double, path: KernelPath = .best
    ) {
        tk_leaky_relu_f32(path.cPath, base.assumingMemoryBound(to: Float.self), count, Float(slope))
    }

    public static func applyFloat64(
        _ base: UnsafeMutableRawPointer, count: Int, slope: Double, path: KernelPath = .best
    ) {
        tk_leaky_relu_f64(path.cPath, base.assumingMemoryBound(to: Double.self), count, slope)
    }

    public static func applyFloat16(
        _ base: UnsafeMutableRawPointer, count: Int, slope: Double, path: KernelPath = .best
    ) {
        tk_leaky_relu_f16(path.cPath, base.assumingMemoryBound(to: UInt16.self), count, Float(slope))
    }

    public static func applyBFloat16(
        _ base: UnsafeMutableRawPointer, count: Int, slope: Double, path: KernelPath = .best
    ) {
        tk_leaky_relu_bf16(path.cPath, base.assumingMemoryBound(to: UInt16.self), count, Float(slope))
    }

    /// Applies the operation to `count` elements of `dtype` at `base`.
    ///
    /// With `byteSwapped`, the elements are stored in the opposite byte order (big-endian on this machine):
    /// each is swapped, computed and swapped back in one pass. bfloat16 has no big-endian storage format.
    public static func apply(
        _ dtype: DType, to base: UnsafeMutableRawPointer, count: Int, slope: Double,
        byteSwapped: Bool = false, path: KernelPath = .best
    ) {
        precondition(count >= 0, "element count must not be negative")
        if byteSwapped {
            switch dtype {
            case .float16:
                tk_leaky_relu_f16_swapped(path.cPath, base.assumingMemoryBound(to: UInt16.self), count, Float(slope))
            case .float32:
                tk_leaky_relu_f32_swapped(path.cPath, base.assumingMemoryBound(to: UInt32.self), count, Float(slope))
            case .float64:
                tk_leaky_relu_f64_swapped(path.cPath, base.assumingMemoryBound(to: UInt64.self), count, slope)
            case .bfloat16:
                preconditionFailure("bfloat16 has no byte-swapped storage")
            }
            return
        }
        switch dtype {
        case .float16: applyFloat16(base, count: count, slope: slope, path: path)
        case .bfloat16: applyBFloat16(base, count: count, slope: slope, path: path)
        case .float32: applyFloat32(base, count: count, slope: slope, path: path)
        case .float64: applyFloat64(base, count: count, slope: slope, path: path)
        }
    }
}
