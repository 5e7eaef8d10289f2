import CMappingGuard
import TensorCodecs
import TensorHTTP

/// One registered region of a client's POSIX shared-memory object, mapped read-write for as long as anyone holds it.
///
/// The object is the client's: it may shrink it at any moment. Before each use the object's size is checked
/// (`checkIntact`); a shrink during a use makes the touched pages raise SIGBUS, which the mapping guard turns into
/// private zero pages and a flag (`hasFaulted`), so the request fails and the process goes on. A request holds its
/// region (the registry may drop it meanwhile); the mapping and descriptor go when the last holder lets go.
final class SharedMemoryRegion: @unchecked Sendable {
    // @unchecked Sendable: every stored property is immutable after init; the mapped bytes are written by the one
    // request that uses them (the client's business if it sends two requests over the same bytes at once).
    let name: String
    let key: String
    let offset: Int
    let byteSize: Int
    /// The object's device and inode: two regions may map the same object (or overlapping parts of it).
    let object: ObjectIdentity
    private let descriptor: Int32
    private let mapping: UnsafeMutableRawPointer
    private let mappingLength: Int
    private let guardSlot: Int32

    /// Where the object's files are: POSIX shared-memory objects are files in this directory on Linux.
    static let directory = "/dev/shm/"

    /// Opens and maps `byteSize` bytes at `offset` of the object `key` (`/name`). Errors never contain the key.
    init(name: String, key: String, offset: Int, byteSize: Int) throws(ServiceError) {
        let component = try Self.objectName(key)
        guard byteSize > 0 else { throw Self.error("byte_size of region '\(name)' must be positive") }
        // O_NOFOLLOW: a symbolic link planted in /dev/shm is refused; O_NONBLOCK: a FIFO there cannot hold the loop
        // in open (it is then refused as not a regular file).
        let descriptor: Int32
        do {
            descriptor = try Syscall.openReadWriteNoFollow(Self.directory + component)
        } catch {
            throw Self.error("cannot open the shared-memory object of region '\(name)': \(error.reason)")
        }
        guard let status = try? Syscall.fileStatus(descriptor), status.isRegularFile else {
            Syscall.close(descriptor)
            throw Self.error("the key of region '\(name)' does not name a shared-memory object")
        }
        let (end, overflow) = offset.addingReportingOverflow(byteSize)
        guard offset >= 0, !overflow, end <= status.size else {
            Syscall.close(descriptor)
            throw Self.error(
                "region '\(name)': offset \(offset) + byte_size \(byteSize) is past the end of its object (\(status.size) bytes)")
        }
        // mmap's offset must be page-aligned: map from the page holding `offset`.
        let alignedOffset = offset - offset % Syscall.pageSize
        let mappingLength = end - alignedOffset
        let mapping: UnsafeMutableRawPointer
        do {
            mapping = try Syscall.mapShared(descriptor, length: mappingLength, offset: alignedOffset)
        } catch {
            Syscall.close(descriptor)
            throw Self.error("cannot map region '\(name)': \(error.reason)")
        }
        let slot = tk_mapping_guard_add(mapping, mappingLength)
        guard slot >= 0 else {
            Syscall.unmap(mapping, length: mappingLength)
            Syscall.close(descriptor)
            throw Self.error("too many shared-memory regions are mapped")
        }
        self.name = name
        self.key = key
        self.offset = offset
        self.byteSize = byteSize
        self.object = ObjectIdentity(device: status.device, inode: status.inode)
        self.descriptor = descriptor
        self.mapping = mapping
        self.mappingLength = mappingLength
        self.guardSlot = slot
        bytesStart = mapping + (offset - alignedOffset)
    }

    deinit {
        tk_mapping_guard_remove(guardSlot)
        Syscall.unmap(mapping, length: mappingLength)
        Syscall.close(descriptor)
    }

    /// The first registered byte.
    private let bytesStart: UnsafeMutableRawPointer

    /// `count` bytes at `offset` within the region, as a tensor's storage; the region keeps them alive.
    func tensorRegion(offset: Int, count: Int) throws(ServiceError) -> TensorRegion {
        let (end, overflow) = offset.addingReportingOverflow(count)
        guard offset >= 0, !overflow, end <= byteSize else {
            throw Self.error("offset \(offset) + byte_size \(count) is past the end of region '\(name)' (\(byteSize) bytes)")
        }
        return TensorRegion(owner: self, base: bytesStart, range: offset..<end)
    }

    struct ObjectIdentity: Equatable {
        var device: UInt64
        var inode: UInt64
    }

    /// Throws when the client has shrunk its object below the registered bytes since they were mapped.
    func checkIntact() throws(ServiceError) {
        guard let status = try? Syscall.fileStatus(descriptor), status.size >= offset + byteSize else {
            throw Self.error("the shared-memory object of region '\(name)' is smaller than the region now")
        }
    }

    /// A page of the region was touched that its object no longer backs (it shrank, or /dev/shm had no room for the
    /// page): what was read or written there is lost.
    var hasFaulted: Bool { tk_mapping_guard_faulted(guardSlot) != 0 }

    /// `/name` (or `name`): one path component of letters, digits, `.`, `_` and `-`, not `.` or `..`.
    static func objectName(_ key: String) throws(ServiceError) -> String {
        let component = key.hasPrefix("/") ? String(key.dropFirst()) : key
        let allowed = component.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
        guard allowed, !component.isEmpty, component.utf8.count <= 255, component != ".", component != ".." else {
            throw error("a key is one path component of letters, digits, '.', '_' and '-' (at most 255), such as /input_data")
        }
        return component
    }

    static func error(_ detail: String) -> ServiceError { .badRequest("shared-memory", detail) }
}
