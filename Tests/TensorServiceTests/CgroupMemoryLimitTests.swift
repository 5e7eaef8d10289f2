import TensorMemory
import Testing
@testable import TensorService

@Suite struct CgroupMemoryLimitTests {
    /// A fake /proc and /sys: path → text.
    private func find(_ files: [String: String]) -> CgroupMemoryLimit? {
        CgroupMemoryLimit.find { files[$0] }
    }

    private static let v1Mounts = """
        25 24 0:22 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        28 25 0:25 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        30 25 0:27 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        35 25 0:32 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """

    @Test("cgroup v1: the process's own group, moved there without a namespace, and the tightest of its ancestors")
    func v1TakesTheTightestOnTheWayUp() {
        let files = [
            "/proc/self/cgroup": "4:memory:/jobs/batch-7\n1:cpu:/\n0::/\n",
            "/proc/self/mountinfo": Self.v1Mounts,
            "/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
            "/sys/fs/cgroup/memory/jobs/memory.limit_in_bytes": "536870912\n",
            "/sys/fs/cgroup/memory/jobs/batch-7/memory.limit_in_bytes": "9223372036854771712\n",
        ]
        #expect(find(files) == CgroupMemoryLimit(bytes: 536_870_912, source: "/sys/fs/cgroup/memory/jobs/memory.limit_in_bytes"))
        var own = files
        own["/sys/fs/cgroup/memory/jobs/batch-7/memory.limit_in_bytes"] = "268435456\n"
        #expect(find(own)?.bytes == 268_435_456)
    }

    @Test("cgroup v2: memory.max of the group and its parents; `max` is no limit")
    func v2ReadsMemoryMax() {
        let files = [
            "/proc/self/cgroup": "0::/system.slice/tensor.service\n",
            "/proc/self/mountinfo": "35 25 0:32 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n",
            "/sys/fs/cgroup/system.slice/tensor.service/memory.max": "134217728\n",
            "/sys/fs/cgroup/system.slice/memory.max": "max\n",
            "/sys/fs/cgroup/memory.max": "max\n",
        ]
        #expect(find(files) == CgroupMemoryLimit(
            bytes: 134_217_728, source: "/sys/fs/cgroup/system.slice/tensor.service/memory.max"))
    }

    @Test("Inside a namespace the mount shows the group at its root: its own file is the mount point's")
    func namespacedMountRoot() {
        let files = [
            "/proc/self/cgroup": "0::/\n",
            "/proc/self/mountinfo": "700 690 0:32 / /sys/fs/cgroup ro - cgroup2 cgroup2 rw\n",
            "/sys/fs/cgroup/memory.max": "268435456\n",
        ]
        #expect(find(files)?.bytes == 268_435_456)
        // A v1 mount of a subtree: the group path starts with the mount's root.
        let subtree = [
            "/proc/self/cgroup": "9:memory:/pod/abc\n",
            "/proc/self/mountinfo": "40 30 0:27 /pod/abc /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n",
            "/sys/fs/cgroup/memory/memory.limit_in_bytes": "1073741824\n",
        ]
        #expect(find(subtree)?.bytes == 1 << 30)
    }

    @Test("No limit anywhere, or nothing readable: none")
    func noLimit() {
        #expect(find([:]) == nil)
        #expect(find([
            "/proc/self/cgroup": "0::/user.slice\n",
            "/proc/self/mountinfo": "35 25 0:32 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
            "/sys/fs/cgroup/user.slice/memory.max": "max\n",
        ]) == nil)
    }

    @Test("The default budget is half the limit, at most 1 GiB, and says why")
    func defaultBudget() {
        #expect(InflightBudgetDefault(limit: nil).bytes == 1 << 30)
        let tight = InflightBudgetDefault(limit: CgroupMemoryLimit(bytes: 256 << 20, source: "/x/memory.max"))
        #expect(tight.bytes == 128 << 20)
        #expect(tight.reason.contains("/x/memory.max"))
        #expect(InflightBudgetDefault(limit: CgroupMemoryLimit(bytes: 64 << 30, source: "m")).bytes == 1 << 30)
        #expect(InflightBudgetDefault(limit: CgroupMemoryLimit(bytes: 1 << 20, source: "m")).bytes == InflightBudgetDefault.floor)
    }
}
