import TensorCodecs
import TensorKernels

/// Runs leaky_relu_ over a tensor, split across the worker pool when it is large enough to pay for the hand-off.
package enum ParallelKernel {
    /// More pieces than threads: a helper that wakes late takes what is left instead of making everyone wait.
    static let piecesPerThread = 4

    package static func apply(
        _ dtype: DType, to base: UnsafeMutableRawPointer, count: Int, slope: Double, byteSwapped: Bool = false,
        pool: WorkerPool, grainElements: Int = ChunkPlan.defaultGrainElements
    ) {
        // Too small to split: no plan, straight to the kernel (the common small request pays nothing for splitting).
        if count < 2 * grainElements {
            LeakyReLU.apply(dtype, to: base, count: count, slope: slope, byteSwapped: byteSwapped)
            return
        }
        let plan = ChunkPlan(
            count: count, itemSize: dtype.itemSize, maxPieces: pool.threadCount * piecesPerThread, grainElements: grainElements)
        if plan.ranges.count == 1 {
            LeakyReLU.apply(dtype, to: base, count: count, slope: slope, byteSwapped: byteSwapped)
            return
        }
        let tensor = SharedBytes(base: base)
        pool.parallelFor(plan.ranges) { range in
            LeakyReLU.apply(
                dtype, to: tensor.base + range.lowerBound * dtype.itemSize, count: range.count, slope: slope,
                byteSwapped: byteSwapped)
        }
    }
}
