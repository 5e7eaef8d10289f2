import TensorMemory

/// The in-flight memory budget when `--max-inflight-bytes` is not given: 1 GiB, or half the process's cgroup memory
/// limit when that is smaller (the other half is the binary, buffers kept for reuse, the heap and the kernel's
/// socket buffers).
package struct InflightBudgetDefault: Equatable, Sendable {
    package static let withoutLimit = 1 << 30
    /// Never below this, however tight the limit: a budget that admits nothing helps nobody.
    package static let floor = 1 << 20

    package var bytes: Int
    /// Why, in words, for the start-up log.
    package var reason: String

    package init(limit: CgroupMemoryLimit?) {
        guard let limit, limit.bytes / 2 < Self.withoutLimit else {
            bytes = Self.withoutLimit
            reason = limit.map { "1 GiB: half the cgroup limit \($0.bytes) (\($0.source)) is more" } ?? "1 GiB: no cgroup memory limit found"
            return
        }
        bytes = max(limit.bytes / 2, Self.floor)
        reason = "half the cgroup memory limit \(limit.bytes) (\(limit.source))"
    }
}
