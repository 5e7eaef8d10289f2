/// Bytes read from a connection and not yet consumed: request heads, chunked framing, pipelined requests.
///
/// It is reused for the connection's whole life; consumed bytes are reclaimed by moving the rest to the front.
package struct InputBuffer {
    private let storage: ByteBuffer
    private var readIndex = 0

    package init(capacity: Int = 16 * 1024) { storage = ByteBuffer(capacity: capacity) }

    package var readableCount: Int { storage.count - readIndex }
    package var isEmpty: Bool { readableCount == 0 }

    /// The unconsumed bytes; valid until the next mutation.
    package var readable: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage.base + readIndex, count: readableCount)
    }

    package mutating func consume(_ count: Int) {
        precondition(count <= readableCount)
        readIndex += count
        if readIndex == storage.count {
            readIndex = 0
            storage.count = 0
        }
    }

    /// Space to read into, at least `minimum` bytes; call `commit(_:)` with what was written.
    package mutating func writable(minimum: Int) -> UnsafeMutableRawBufferPointer {
        if readIndex > 0 && storage.capacity - storage.count < minimum {
            let live = readableCount
            storage.base.copyMemory(from: storage.base + readIndex, byteCount: live)
            storage.count = live
            readIndex = 0
        }
        storage.reserve(storage.count + minimum)
        return UnsafeMutableRawBufferPointer(start: storage.base + storage.count, count: storage.capacity - storage.count)
    }

    package mutating func commit(_ count: Int) { storage.count += count }

    package mutating func append(_ bytes: UnsafeRawBufferPointer) {
        let space = writable(minimum: bytes.count)
        space.copyMemory(from: bytes)
        commit(bytes.count)
    }

    package mutating func append(_ bytes: [UInt8]) { bytes.withUnsafeBytes { append($0) } }
}
