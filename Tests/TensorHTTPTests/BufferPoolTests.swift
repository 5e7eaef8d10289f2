import Testing
@testable import TensorHTTP

@Suite struct BufferPoolTests {
    @Test func roundsLargeRequestsUpToTheirClassAndReusesThem() {
        let pool = BufferPool(maxPooledBytes: 8 << 20)
        let first = pool.allocate(byteCount: 1_000_000)
        #expect(first.capacity == 1 << 20)
        #expect(Int(bitPattern: first.base) % 64 == 0)
        pool.release(first.base, capacity: first.capacity)
        #expect(pool.pooledBytes == 1 << 20)
        let second = pool.allocate(byteCount: 1 << 20)
        #expect(second.base == first.base && second.capacity == 1 << 20)
        #expect(pool.pooledBytes == 0)
        // A different class does not take it.
        let other = pool.allocate(byteCount: (1 << 20) + 1)
        #expect(other.capacity == 2 << 20 && other.base != second.base)
        pool.release(second.base, capacity: second.capacity)
        pool.release(other.base, capacity: other.capacity)
    }

    @Test func smallAndHugeBuffersAreNotPooled() {
        let pool = BufferPool(maxPooledBytes: 64 << 20)
        for byteCount in [0, 1, 100, 32 << 10, (4 << 20) + 1, 16 << 20] {
            let buffer = pool.allocate(byteCount: byteCount)
            #expect(buffer.capacity == max(byteCount, 1), "\(byteCount)")
            pool.release(buffer.base, capacity: buffer.capacity)
            #expect(pool.pooledBytes == 0, "\(byteCount)")
        }
        let smallest = pool.allocate(byteCount: (32 << 10) + 1)
        #expect(smallest.capacity == 64 << 10)
        pool.release(smallest.base, capacity: smallest.capacity)
        #expect(pool.pooledBytes == 64 << 10)
    }

    @Test func keepsNoMoreThanItsLimit() {
        let pool = BufferPool(maxPooledBytes: 3 << 20)
        let buffers = (0..<5).map { _ in pool.allocate(byteCount: 1 << 20) }
        for buffer in buffers { pool.release(buffer.base, capacity: buffer.capacity) }
        #expect(pool.pooledBytes == 3 << 20)
    }

    @Test func byteBuffersGrowThroughThePool() {
        let buffer = ByteBuffer(capacity: 100 << 10)
        #expect(buffer.capacity == 128 << 10)
        buffer.append([UInt8](repeating: 7, count: 100 << 10))
        buffer.reserve(300 << 10)
        #expect(buffer.capacity == 512 << 10 && buffer.count == 100 << 10)
        #expect(buffer.bytes.allSatisfy { $0 == 7 })
    }
}
