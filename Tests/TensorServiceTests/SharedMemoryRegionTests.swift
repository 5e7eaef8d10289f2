import Foundation
import Glibc
import Testing
import TensorCodecs
@testable import TensorService

/// A POSIX shared-memory object made for one test, removed after it.
private struct SharedMemoryObject: ~Copyable {
    let name = "tensor-service-test-\(UInt64.random(in: 0...UInt64.max))"
    var key: String { "/" + name }
    var path: String { SharedMemoryRegion.directory + name }

    init(size: Int) throws {
        let descriptor = open(SharedMemoryRegion.directory + name, O_RDWR | O_CREAT | O_EXCL, 0o600)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        try #require(ftruncate(descriptor, off_t(size)) == 0)
    }

    func truncate(to size: Int) { _ = Glibc.truncate(path, off_t(size)) }

    deinit { unlink(path) }
}

@Suite struct SharedMemoryRegionTests {
    @Test("A region maps the object's bytes at the offset, read and written in place")
    func mapsTheRegisteredBytes() throws {
        let object = try SharedMemoryObject(size: 3 * 4096)
        let region = try SharedMemoryRegion(name: "r", key: object.key, offset: 4100, byteSize: 64)
        let bytes = try region.tensorRegion(offset: 0, count: 64).bytes
        bytes.storeBytes(of: 0x1234_5678 as UInt32, as: UInt32.self)
        let handle = try #require(FileHandle(forReadingAtPath: object.path))
        try handle.seek(toOffset: 4100)
        #expect(try handle.read(upToCount: 4) == Data([0x78, 0x56, 0x34, 0x12]))
        #expect(throws: ServiceError.self) { try region.tensorRegion(offset: 60, count: 8) }
        #expect(throws: ServiceError.self) { try region.tensorRegion(offset: Int.max - 2, count: 8) }
    }

    @Test("An object shrunk under a mapping: the touched pages become private, the region says so, nothing crashes")
    func survivesATruncationDuringUse() throws {
        let object = try SharedMemoryObject(size: 16 * 4096)
        let region = try SharedMemoryRegion(name: "r", key: object.key, offset: 0, byteSize: 16 * 4096)
        try region.checkIntact()
        #expect(!region.hasFaulted)
        object.truncate(to: 4096)
        #expect(throws: ServiceError.self) { try region.checkIntact() }
        // What a computation in progress would do: write every element, past the object's new end too.
        let bytes = try region.tensorRegion(offset: 0, count: 16 * 4096).bytes
        for index in stride(from: 0, to: bytes.count, by: 8) { bytes.storeBytes(of: UInt64(index), toByteOffset: index, as: UInt64.self) }
        #expect(region.hasFaulted)
        #expect(bytes.load(fromByteOffset: 15 * 4096, as: UInt64.self) == UInt64(15 * 4096))
    }

    @Test("Keys are one path component; errors never contain the key", arguments: ["/../etc/passwd", "/a/b", "..", "/", "", "/a b", "/\u{e9}"])
    func hostileKeys(key: String) {
        do {
            _ = try SharedMemoryRegion(name: "r", key: key, offset: 0, byteSize: 8)
            Issue.record("\(key) was accepted")
        } catch {
            #expect(error.status == 400 && (key.count < 3 || !error.detail.contains(key)))
        }
    }

    @Test("An object that is not there, sizes past its end or overflowing, and a zero size are refused")
    func badRegistrations() throws {
        let object = try SharedMemoryObject(size: 4096)
        for (offset, size) in [(0, 0), (4000, 200), (Int.max - 8, 16), (-1, 8)] {
            #expect(throws: ServiceError.self) { try SharedMemoryRegion(name: "r", key: object.key, offset: offset, byteSize: size) }
        }
        #expect(throws: ServiceError.self) { try SharedMemoryRegion(name: "r", key: "/tensor-service-missing-object", offset: 0, byteSize: 8) }
        // A symbolic link and a FIFO planted in /dev/shm: refused, without following or blocking.
        let link = "tensor-service-test-link-\(UInt32.random(in: 0...UInt32.max))"
        #expect(symlink(object.path, SharedMemoryRegion.directory + link) == 0)
        defer { unlink(SharedMemoryRegion.directory + link) }
        #expect(throws: ServiceError.self) { try SharedMemoryRegion(name: "r", key: "/" + link, offset: 0, byteSize: 8) }
        let fifo = "tensor-service-test-fifo-\(UInt32.random(in: 0...UInt32.max))"
        #expect(mkfifo(SharedMemoryRegion.directory + fifo, 0o600) == 0)
        defer { unlink(SharedMemoryRegion.directory + fifo) }
        #expect(throws: ServiceError.self) { try SharedMemoryRegion(name: "r", key: "/" + fifo, offset: 0, byteSize: 8) }
    }

    @Test("The registry bounds names and counts, finds regions by name, and forgets them")
    func registry() throws {
        let object = try SharedMemoryObject(size: 4096)
        let registry = SharedMemoryRegistry()
        try registry.register(name: "a", key: object.key, offset: 0, byteSize: 4096)
        #expect(throws: ServiceError.self) { try registry.register(name: "a", key: object.key, offset: 0, byteSize: 8) }
        #expect(throws: ServiceError.self) { try registry.register(name: "x/y", key: object.key, offset: 0, byteSize: 8) }
        #expect(registry.regionCount == 1 && registry.mappedBytes == 4096)
        #expect(try registry.statusJSON("a") == #"[{"name":"a","key":"\#(object.key)","offset":0,"byte_size":4096}]"#)
        let held = try registry.region(named: "a")
        registry.unregister(nil)
        #expect(registry.regionCount == 0)
        // A request that still holds the region keeps its mapping.
        #expect(try held.tensorRegion(offset: 0, count: 8).bytes.load(as: UInt64.self) == 0)
        #expect(throws: ServiceError.self) { try registry.region(named: "a") }
    }
}
