import CTensorKernels

/// `x[i] *= factor` in place, built with the same CPU dispatch as the kernels.
///
/// It is the benchmark's limit: the same footprint and memory traffic as leaky_relu_, with one multiply.
public enum ScaleLoop {
    public static func apply(
        _ dtype: DType, to base: UnsafeMutableRawPointer, count: Int, factor: Double, path: KernelPath = .best
    ) {
        switch dtype {
        case .float64: tk_scale_f64(path.cPath, base.assumingMemoryBound(to: Double.self), count, factor)
        default:
            // The 16-bit types move half the bytes of float32; scaling them as float32 pairs keeps the same traffic.
            let floats = count * dtype.itemSize / 4
            tk_scale_f32(path.cPath, base.assumingMemoryBound(to: Float.self), floats, Float(factor))
        }
    }

    /// float16 and bfloat16 widened, multiplied and rounded back, the plain way for `path`: the reference the 16-bit
    /// kernels are measured against where conversion, not memory, is the limit.
    public static func applyConverting(
        _ dtype: DType, to base: UnsafeMutableRawPointer, count: Int, factor: Double, path: KernelPath = .best
    ) {
        switch dtype {
        case .float16: tk_scale_f16(path.cPath, base.assumingMemoryBound(to: UInt16.self), count, Float(factor))
        case .bfloat16: tk_scale_bf16(path.cPath, base.assumingMemoryBound(to: UInt16.self), count, Float(factor))
        default: apply(dtype, to: base, count: count, factor: factor, path: path)
        }
    }
}
