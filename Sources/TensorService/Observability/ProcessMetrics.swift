import Foundation
import Prometheus
import TensorHTTP
import TensorMemory

/// The standard `process_*` families Prometheus client libraries export, read from `/proc/self` at each scrape:
/// resident memory, open and allowed descriptors, CPU seconds, start time.
final class ProcessMetrics: Sendable {
    private let residentMemory: Gauge
    private let virtualMemory: Gauge
    private let openDescriptors: Gauge
    private let maxDescriptors: Gauge
    private let cpuSeconds: Counter
    private let startTime: Gauge
    /// CPU seconds already added to the counter, so each scrape adds only what is new.
    private let reportedCPUSeconds = Locked<Double>(0)

    init(registry: PrometheusCollectorRegistry) {
        func gauge(_ name: String, _ unit: String, _ help: String) -> Gauge {
            registry.makeGauge(
                descriptor: .init(namespace: "process", metricName: name, unitName: unit, helpText: help), labels: [])
        }
        residentMemory = gauge("resident_memory", "bytes", "Resident memory size in bytes.")
        virtualMemory = gauge("virtual_memory", "bytes", "Virtual memory size in bytes.")
        openDescriptors = gauge("open", "fds", "Number of open file descriptors.")
        maxDescriptors = gauge("max", "fds", "Maximum number of open file descriptors.")
        startTime = gauge("start_time", "seconds", "Start time of the process since the Unix epoch in seconds.")
        cpuSeconds = registry.makeCounter(
            descriptor: .init(
                namespace: "process", metricName: "cpu_seconds", unitName: "total",
                helpText: "Total user and system CPU time spent in seconds."),
            labels: [])
        startTime.set(Self.startTimeSeconds() ?? Date().timeIntervalSince1970)
    }

    func update() {
        let pageSize = Double(Syscall.pageSize)
        if let statm = Self.read("/proc/self/statm")?.split(separator: " "), statm.count >= 2,
            let pages = Double(statm[0]), let resident = Double(statm[1])
        {
            virtualMemory.set(pages * pageSize)
            residentMemory.set(resident * pageSize)
        }
        if let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            // The listing itself holds one descriptor open while it runs.
            openDescriptors.set(Double(max(0, descriptors.count - 1)))
        }
        let limit = Syscall.descriptorLimit().soft
        if limit > 0 { maxDescriptors.set(Double(limit)) }
        if let total = Syscall.processCPUSeconds() {
            let added = reportedCPUSeconds.withLock { reported in
                defer { reported = max(reported, total) }
                return total - reported
            }
            if added > 0 { cpuSeconds.increment(by: added) }
        }
    }

    private static func read(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Field 22 of `/proc/self/stat` (clock ticks after boot) plus the boot time from `/proc/stat`.
    private static func startTimeSeconds() -> Double? {
        guard let stat = read("/proc/self/stat"), let end = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        // After the command name, field 3 (state) is the first; field 22 (starttime) is the 20th.
        guard fields.count > 19, let ticks = Double(fields[19]),
            let bootLine = read("/proc/stat")?.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
            let boot = Double(bootLine.dropFirst(6))
        else { return nil }
        return boot + ticks / Double(Syscall.clockTicksPerSecond)
    }
}
