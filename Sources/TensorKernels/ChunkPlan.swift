/// How a large tensor is cut into pieces for several threads.
///
/// Pieces start on 64-byte boundaries relative to the buffer, so no two threads write the same cache line, and
/// the kernel is element-wise, so a split never changes an output bit.
public struct ChunkPlan: Sendable, Equatable {
    /// Below this many elements one thread does the whole tensor: handing work to another thread costs more.
    public static let defaultGrainElements = 64 * 1024

    /// Element ranges, in order, covering `0..<count` without overlap.
    public let ranges: [Range<Int>]

    /// Plans at most `maxPieces` pieces of at least `grainElements` each (one piece when the tensor is small).
    public init(count: Int, itemSize: Int, maxPieces: Int, grainElements: Int = ChunkPlan.defaultGrainElements) {
        precondition(count >= 0 && itemSize > 0 && maxPieces > 0 && grainElements > 0)
        let pieces = min(maxPieces, max(1, count / grainElements))
        guard pieces > 1 else {
            ranges = [0..<count]
            return
        }
        let alignment = max(1, 64 / itemSize)
        let step = ((count + pieces - 1) / pieces + alignment - 1) / alignment * alignment
        var result: [Range<Int>] = []
        result.reserveCapacity(pieces)
        var start = 0
        while start < count {
            let end = min(count, start + step)
            result.append(start..<end)
            start = end
        }
        ranges = result
    }
}
