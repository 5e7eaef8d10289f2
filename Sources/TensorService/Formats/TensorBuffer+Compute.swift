import TensorCodecs
import TensorKernels

extension TensorBuffer {
    /// leaky_relu_ in place, where the elements lie (a request body or the JSON decoder's array), split across the
    /// pool when large. Big-endian elements are computed as they are.
    mutating func compute(slope: Double, pool: WorkerPool) {
        let (dtype, count, isBigEndian) = (dtype, count, isBigEndian)
        withMutableBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            ParallelKernel.apply(dtype, to: base, count: count, slope: slope, byteSwapped: isBigEndian, pool: pool)
        }
    }
}
