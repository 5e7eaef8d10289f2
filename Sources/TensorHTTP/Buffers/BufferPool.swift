import TensorMemory

/// Large body buffers that were freed recently, kept for the next body of the same size class.
///
/// Why: a client streaming 1 MiB tensors would otherwise make malloc hand out a fresh megabyte per request from
/// whichever arena the current thread uses. Its pages fault in (zeroed by the kernel) every time, and freed blocks
/// scattered over the arenas let the resident size creep upwards under steady load. Reusing a handful of buffers
/// keeps both flat. Sizes are powers of two from 64 KiB to 4 MiB; smaller buffers are cheap for malloc (and the
/// connection reuses its own), larger ones get their own mapping that malloc returns to the system when freed.
/// At most `maxPooledBytes` of free buffers are kept; buffers in use are not counted.
package final class BufferPool: Sendable {
    package static let shared = BufferPool(maxPooledBytes: 32 << 20)

    static let smallestClassBytes = 64 << 10
    static let largestClassBytes = 4 << 20
    static let alignment = 64

    package let maxPooledBytes: Int
    private let state = Locked(State())

    private struct State {
        /// Free buffers per size class, smallest class first.
        var free: [[UnsafeMutableRawPointer]] = Array(repeating: [], count: BufferPool.classCount)
        var pooledBytes = 0
    }

    private static let classCount = (largestClassBytes / smallestClassBytes).trailingZeroBitCount + 1

    package init(maxPooledBytes: Int) { self.maxPooledBytes = maxPooledBytes }

    /// Free bytes held for reuse now.
    package var pooledBytes: Int { state.withLock { $0.pooledBytes } }

    /// Memory for at least `byteCount` bytes, 64-byte aligned; `capacity` may be larger (the class size).
    /// Give it back with `release(_:capacity:)` and that same capacity.
    package func allocate(byteCount: Int) -> (base: UnsafeMutableRawPointer, capacity: Int) {
        guard let sizeClass = Self.sizeClass(for: byteCount) else {
            let capacity = max(byteCount, 1)
            return (UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: Self.alignment), capacity)
        }
        let capacity = Self.smallestClassBytes << sizeClass
        let reused = state.withLock { state -> UnsafeMutableRawPointer? in
            guard let base = state.free[sizeClass].popLast() else { return nil }
            state.pooledBytes -= capacity
            return base
        }
        return (reused ?? UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: Self.alignment), capacity)
    }

    /// Takes back memory from `allocate`; keeps it while the pool has room, frees it otherwise.
    package func release(_ base: UnsafeMutableRawPointer, capacity: Int) {
        if let sizeClass = Self.sizeClass(for: capacity), Self.smallestClassBytes << sizeClass == capacity {
            let kept = state.withLock { state -> Bool in
                guard state.pooledBytes + capacity <= maxPooledBytes else { return false }
                state.free[sizeClass].append(base)
                state.pooledBytes += capacity
                return true
            }
            if kept { return }
        }
        base.deallocate()
    }

    /// The class of a request for `byteCount` bytes, or nil when it is outside the pooled range.
    private static func sizeClass(for byteCount: Int) -> Int? {
        guard byteCount > smallestClassBytes / 2, byteCount <= largestClassBytes else { return nil }
        let rounded = max(byteCount, smallestClassBytes)
        // The power of two at or above `rounded`, as a shift from the smallest class.
        let shift = Int.bitWidth - (rounded - 1).leadingZeroBitCount
        return shift - smallestClassBytes.trailingZeroBitCount
    }

    deinit {
        state.withLock { state in
            for buffers in state.free { for base in buffers { base.deallocate() } }
        }
    }
}
