import Synchronization
import TensorCodecs

/// The regions registered through Triton's system shared-memory extension (`--shared-memory system`), by name.
///
/// Bounded: at most `maxRegions` regions and `maxMappedBytes` mapped in all. Unregistering drops the registry's
/// hold; a request that still uses the region keeps it mapped until it ends.
package final class SharedMemoryRegistry: Sendable {
    package static let maxRegions = 64
    package static let maxMappedBytes = 16 << 30
    /// Region names are path segments and are echoed in answers: short, plain, printable.
    static let maxNameLength = 128

    private let regions = Mutex<[String: SharedMemoryRegion]>([:])

    package init() {}

    package var regionCount: Int { regions.withLock { $0.count } }
    package var mappedBytes: Int { regions.withLock { $0.values.reduce(0) { $0 + $1.byteSize } } }

    func register(name: String, key: String, offset: Int, byteSize: Int) throws(ServiceError) {
        try Self.checkName(name)
        // Checked before the object is opened, and again (under the lock) before the region is kept.
        try regions.withLock { regions throws(ServiceError) in try Self.checkRoom(regions, name: name, byteSize: byteSize) }
        let region = try SharedMemoryRegion(name: name, key: key, offset: offset, byteSize: byteSize)
        try regions.withLock { regions throws(ServiceError) in
            try Self.checkRoom(regions, name: name, byteSize: byteSize)
            regions[name] = region
        }
    }

    /// Forgets `name` (every region when nil); an unknown name is no error, as in Triton.
    func unregister(_ name: String?) {
        let dropped = regions.withLock { regions -> [SharedMemoryRegion] in
            guard let name else {
                defer { regions.removeAll() }
                return Array(regions.values)
            }
            return regions.removeValue(forKey: name).map { [$0] } ?? []
        }
        // Unmapped here, outside the lock (unless a request still holds one).
        withExtendedLifetime(dropped) {}
    }

    /// A registered region, for a request; 400 when there is none by that name.
    func region(named name: String) throws(ServiceError) -> SharedMemoryRegion {
        guard let region = regions.withLock({ $0[name] }) else {
            throw SharedMemoryRegion.error("no shared memory region '\(name.prefix(Self.maxNameLength))' is registered")
        }
        return region
    }

    /// Drops a region whose object shrank under a request: its mapping no longer shows the object.
    func drop(_ region: SharedMemoryRegion) {
        let dropped = regions.withLock { regions -> SharedMemoryRegion? in
            guard regions[region.name] === region else { return nil }
            return regions.removeValue(forKey: region.name)
        }
        withExtendedLifetime(dropped) {}
    }

    /// Every region, or the one named (404 when unknown, as in Triton).
    func statuses(_ name: String?) throws(ServiceError) -> [(name: String, key: String, offset: Int, byteSize: Int)] {
        try listed(name).map { ($0.name, $0.key, $0.offset, $0.byteSize) }
    }

    private func listed(_ name: String?) throws(ServiceError) -> [SharedMemoryRegion] {
        let listed = regions.withLock { regions in
            name.map { regions[$0].map { [$0] } ?? [] } ?? regions.values.sorted { $0.name < $1.name }
        }
        if let name, listed.isEmpty {
            throw ServiceError(
                status: 404, problemType: "shared-memory",
                detail: "Unable to find system shared memory region: '\(name.prefix(Self.maxNameLength))'")
        }
        return listed
    }

    /// The status JSON: every region, or the one named (404 when unknown, as in Triton).
    func statusJSON(_ name: String?) throws(ServiceError) -> String {
        let entries = try listed(name).map { region in
            #"{"name":\#(JSONText.quoted(region.name)),"key":\#(JSONText.quoted(region.key)),"#
                + #""offset":\#(region.offset),"byte_size":\#(region.byteSize)}"#
        }
        return "[" + entries.joined(separator: ",") + "]"
    }

    static func checkName(_ name: String) throws(ServiceError) {
        let plain = name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "%") }
        guard plain, !name.isEmpty, name.utf8.count <= maxNameLength else {
            throw SharedMemoryRegion.error("a region name is 1 to \(maxNameLength) printable characters without '/' or '%'")
        }
    }

    private static func checkRoom(_ regions: [String: SharedMemoryRegion], name: String, byteSize: Int) throws(ServiceError) {
        guard regions[name] == nil else { throw SharedMemoryRegion.error("shared memory region '\(name)' is already registered") }
        guard regions.count < maxRegions else {
            throw SharedMemoryRegion.error("\(maxRegions) regions are registered already, the most this server maps; unregister one first")
        }
        let mapped = regions.values.reduce(0) { $0 + $1.byteSize }
        guard byteSize <= maxMappedBytes - mapped else {
            throw SharedMemoryRegion.error(
                "registering \(byteSize) more bytes would map more than \(maxMappedBytes) bytes in all; unregister a region first")
        }
    }
}
