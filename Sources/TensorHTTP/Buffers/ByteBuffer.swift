/// A growable block of bytes with reference semantics and one owner at a time.
///
/// A request body is read from the socket straight into one of these, computed in place and written back from
/// it, so the tensor's bytes are never copied between socket and answer. Its storage is 64-byte aligned for
/// the SIMD kernels. Growing moves the bytes, so pointers obtained earlier are valid only until the next growth.
package final class ByteBuffer: @unchecked Sendable {
    // @unchecked Sendable: a buffer is handed from one thread to the next (event loop, worker, event loop) through
    // the worker pool's lock and the loop's task queue, which order the accesses; no two threads ever use it at the same time.
    package private(set) var base: UnsafeMutableRawPointer
    package private(set) var capacity: Int
    /// Bytes in use, from `base`.
    package var count: Int {
        didSet { precondition(count >= 0 && count <= capacity, "count outside the buffer") }
    }

    /// Room for at least `capacity` bytes; large buffers come from `BufferPool.shared` and may hold more.
    package init(capacity: Int) {
        (base, self.capacity) = BufferPool.shared.allocate(byteCount: max(capacity, 0))
        self.count = 0
    }

    deinit { BufferPool.shared.release(base, capacity: capacity) }

    /// The bytes in use.
    package var bytes: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: base, count: count) }

    /// Makes room for at least `minimum` bytes in all, growing geometrically so appends stay linear.
    package func reserve(_ minimum: Int) {
        guard minimum > capacity else { return }
        let (newBase, newCapacity) = BufferPool.shared.allocate(byteCount: max(minimum, capacity + capacity / 2, 256))
        newBase.copyMemory(from: base, byteCount: count)
        BufferPool.shared.release(base, capacity: capacity)
        base = newBase
        capacity = newCapacity
    }

    package func append(_ source: UnsafeRawBufferPointer) {
        guard source.count > 0 else { return }
        reserve(count + source.count)
        (base + count).copyMemory(from: source.baseAddress!, byteCount: source.count)
        count += source.count
    }

    package func append(_ array: [UInt8]) {
        array.withUnsafeBytes { append($0) }
    }

    /// Frees the storage now, leaving an empty buffer: a body decoded into a tensor of its own is not kept while the
    /// answer is written. Whoever else holds the buffer sees it empty.
    package func releaseStorage() {
        BufferPool.shared.release(base, capacity: capacity)
        (base, capacity) = BufferPool.shared.allocate(byteCount: 0)
        count = 0
    }

    /// A copy of the bytes in use, for tests and small bodies.
    package var array: [UInt8] { Array(UnsafeRawBufferPointer(bytes)) }
}
