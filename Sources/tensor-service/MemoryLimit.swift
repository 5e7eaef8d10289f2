import Foundation

/// The default in-flight body budget: 1 GiB, or half the cgroup's memory limit when that is smaller.
enum MemoryLimit {
    static let defaultBudget = 1 << 30

    static func defaultInflightBytes() -> Int {
        guard let limit = cgroupLimit() else { return defaultBudget }
        return min(defaultBudget, max(limit / 2, 1 << 20))
    }

    /// cgroup v2's memory.max, or v1's limit_in_bytes; nil when unlimited or not in a cgroup.
    static func cgroupLimit() -> Int? {
        for path in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
            // v1 reports "no limit" as a number near Int64.max.
            if let bytes = Int(value), bytes < 1 << 60 { return bytes }
            return nil
        }
        return nil
    }
}
