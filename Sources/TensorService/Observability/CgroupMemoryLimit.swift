import Glibc

/// The memory limit of this process's own cgroup, cgroup v1 or v2: the tightest among its group and the group's
/// ancestors, as Go's automemlimit and the JVM find it.
///
/// Why not `/sys/fs/cgroup/memory.max` alone: that is the process's own group only inside a cgroup namespace (a
/// container). A process moved into a group by systemd (`MemoryMax=`) or a batch scheduler sees the hierarchy's
/// root there, with no limit, while the kernel kills it at its group's. So the group is read from
/// `/proc/self/cgroup`, the hierarchy's mount point from `/proc/self/mountinfo`, and the limit files from there up.
package struct CgroupMemoryLimit: Equatable, Sendable {
    /// The limit in bytes.
    package var bytes: Int
    /// The file that set it, for the start-up log.
    package var source: String

    /// Reads the limit through `readFile` (a path in, its text out, nil when unreadable): the real files by default,
    /// a fake tree in tests. Nil when no group on the way up has a limit.
    package static func find(readFile: (String) -> String? = Self.readSmallFile) -> CgroupMemoryLimit? {
        guard let groups = readFile("/proc/self/cgroup"), let mounts = readFile("/proc/self/mountinfo") else { return nil }
        var tightest: CgroupMemoryLimit?
        for mount in Self.memoryMounts(mounts) {
            guard let group = Self.group(of: mount.version, in: groups),
                let relative = Self.relativePath(group, toMountRoot: mount.root)
            else { continue }
            var directory = mount.point + relative
            while true {
                let file = directory + (mount.version == .v2 ? "/memory.max" : "/memory.limit_in_bytes")
                if let text = readFile(file), let bytes = Self.limitBytes(text), bytes < (tightest?.bytes ?? .max) {
                    tightest = CgroupMemoryLimit(bytes: bytes, source: file)
                }
                guard directory.count > mount.point.count, let slash = directory.utf8.lastIndex(of: UInt8(ascii: "/")) else { break }
                directory = String(directory[..<slash])
            }
        }
        return tightest
    }

    enum Version { case v1, v2 }

    struct Mount: Equatable {
        var version: Version
        /// The group that the mount shows at its mount point (`/` unless the mount is of a subtree).
        var root: String
        var point: String
    }

    /// The cgroup2 mount and the v1 mounts with the memory controller, from `/proc/self/mountinfo`:
    /// `ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPEROPTIONS`.
    static func memoryMounts(_ mountinfo: String) -> [Mount] {
        mountinfo.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard let dash = fields.firstIndex(of: "-"), dash >= 5, fields.count > dash + 1 else { return nil }
            let (root, point) = (String(fields[3]), Self.unescaped(fields[4]))
            switch fields[dash + 1] {
            case "cgroup2":
                return Mount(version: .v2, root: root, point: point)
            case "cgroup" where fields.count > dash + 3 && fields[dash + 3].split(separator: ",").contains("memory"):
                return Mount(version: .v1, root: root, point: point)
            default:
                return nil
            }
        }
    }

    /// The process's group in that hierarchy, from `/proc/self/cgroup` (`0::/path` for v2, `N:memory:/path` for v1).
    static func group(of version: Version, in cgroups: String) -> String? {
        for line in cgroups.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            switch version {
            case .v2 where parts[0] == "0" && parts[1].isEmpty: return String(parts[2])
            case .v1 where parts[1].split(separator: ",").contains("memory"): return String(parts[2])
            default: continue
            }
        }
        return nil
    }

    /// `group` below the mount's root, as a path to append to the mount point (empty for the root itself); nil when
    /// the group is outside what the mount shows.
    static func relativePath(_ group: String, toMountRoot root: String) -> String? {
        if root == "/" { return group == "/" ? "" : group }
        if group == root { return "" }
        guard group.hasPrefix(root + "/") else { return nil }
        return String(group.dropFirst(root.count))
    }

    /// A limit file's value in bytes; nil for no limit (`max` in v2, a number near Int64.max in v1).
    static func limitBytes(_ text: String) -> Int? {
        let value = text.split(whereSeparator: { $0 == "\n" || $0 == " " }).first.map(String.init) ?? ""
        guard let bytes = Int(value), bytes > 0, bytes < 1 << 60 else { return nil }
        return bytes
    }

    /// mountinfo writes a space in a path as `\040` (and tab, newline, backslash likewise).
    private static func unescaped(_ field: Substring) -> String {
        guard field.contains("\\") else { return String(field) }
        var bytes: [UInt8] = []
        var rest = Array(field.utf8)[...]
        while let first = rest.first {
            if first == UInt8(ascii: "\\"), rest.count >= 4, let code = UInt8(String(decoding: rest.dropFirst().prefix(3), as: UTF8.self), radix: 8) {
                bytes.append(code)
                rest = rest.dropFirst(4)
            } else {
                bytes.append(first)
                rest = rest.dropFirst()
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A small text file from /proc or /sys, whole; nil when it cannot be read.
    package static func readSmallFile(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 1 << 20 {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            guard count > 0 else { break }
            bytes += chunk.prefix(count)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
