import Prometheus
import TensorHTTP
import TensorKernels
import TensorMemory

/// The service's Prometheus metrics, each family with its HELP text, in a registry of its own (never a global one,
/// so tests and servers in one process do not mix their numbers).
package final class ServiceMetrics: Sendable {
    package let registry = PrometheusCollectorRegistry()
    private let requestCounters = Locked<[RequestKey: Counter]>([:])
    private let callCounters = Locked<[String: Counter]>([:])
    private let durations = Locked<[String: DurationHistogram]>([:])
    private let queueWaits: [String: DurationHistogram]
    private let computeTimes: [String: DurationHistogram]
    private let elements: [DType: Counter]
    private let receivedBytes: Counter
    private let sentBytes: Counter
    private let openConnections: Gauge
    private let queueDepth: Gauge
    private let inflightBytes: Gauge
    private let sharedMemoryRegions: Gauge
    private let sharedMemoryMappedBytes: Gauge
    private let acceptErrors: [String: Counter]
    private let droppedLogLines: Counter
    private let process: ProcessMetrics
    /// Transport totals already added to the counters, so each scrape adds only what is new.
    private let reportedTotals = Locked<(received: Int, sent: Int, droppedLogLines: Int, acceptErrors: [String: Int])>((0, 0, 0, [:]))

    private static var requestsTotal: MetricNameDescriptor {
        .init(
            namespace: "tensor_service", metricName: "http_requests", unitName: "total",
            helpText: "HTTP requests answered, by method, route template and status.")
    }
    private static var requestDuration: MetricNameDescriptor {
        .init(
            namespace: "tensor_service", metricName: "http_request_duration", unitName: "seconds",
            helpText: "Time from a request's first byte to its answer's last byte written, by route template.")
    }
    /// From 100 µs (a small request on a kept connection) to 10 s (a large body on a slow link).
    private static let latencyBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]

    package init() {
        let registry = self.registry
        func counter(_ name: String, _ help: String, labels: [(String, String)] = []) -> Counter {
            registry.makeCounter(
                descriptor: .init(namespace: "tensor_service", metricName: name, unitName: "total", helpText: help),
                labels: labels)
        }
        func gauge(_ name: String, _ unit: String, _ help: String) -> Gauge {
            registry.makeGauge(
                descriptor: .init(namespace: "tensor_service", metricName: name, unitName: unit, helpText: help), labels: [])
        }
        func histograms(_ name: String, _ help: String) -> [String: DurationHistogram] {
            let descriptor = MetricNameDescriptor(
                namespace: "tensor_service", metricName: name, unitName: "seconds", helpText: help)
            return Dictionary(uniqueKeysWithValues: [Route.leakyReLU, Route.infer, Route.v1Predict].map { route in
                (route.rawValue, registry.makeDurationHistogram(
                    descriptor: descriptor, labels: [("route", route.rawValue)], buckets: Self.latencyBuckets))
            })
        }
        elements = Dictionary(uniqueKeysWithValues: DType.allCases.map { dtype in
            (dtype, counter("elements_processed", "Tensor elements computed, by dtype.", labels: [("dtype", dtype.rawValue)]))
        })
        receivedBytes = counter("received_bytes", "Bytes read from client connections (after TLS, before inflating).")
        sentBytes = counter("sent_bytes", "Bytes of answers handed to client connections (before TLS, after compressing).")
        openConnections = gauge("open_connections", "", "Client connections open now.")
        queueDepth = gauge("queue_depth", "", "Tensor jobs waiting for a worker now.")
        inflightBytes = gauge(
            "inflight", "bytes",
            "Bytes reserved from the in-flight budget now: bodies, decoded tensors, answer text, inflated bodies.")
        sharedMemoryRegions = gauge(
            "shared_memory_regions", "", "System shared-memory regions registered now (0 while the extension is off).")
        sharedMemoryMappedBytes = gauge(
            "shared_memory_mapped", "bytes", "Bytes of clients' shared-memory objects mapped for the registered regions.")
        acceptErrors = Dictionary(uniqueKeysWithValues: AcceptErrorReason.allCases.map { reason in
            (reason.rawValue, counter(
                "accept_errors",
                "Failed accepts, by reason: out of descriptors (then waiting clients are shed: closed at once) or memory.",
                labels: [("reason", reason.rawValue)]))
        })
        droppedLogLines = counter(
            "log_lines_dropped",
            "Log lines dropped because their reader stalled (a full pipe) or their write failed (a full disk).")
        queueWaits = histograms(
            "queue_wait", "Time a tensor job waited for a worker (0 when it was computed where it arrived), by route.")
        computeTimes = histograms(
            "compute", "Time a tensor job took on its thread: inflate, decode, leaky_relu_, encode, compress; by route.")
        registry.makeGauge(
            descriptor: .init(
                namespace: "tensor_service", metricName: "build", unitName: "info",
                helpText: "Always 1; the labels name the running build."),
            labels: [("version", ServiceVersion.current), ("kernel_path", KernelPath.best.description)]
        ).set(Int64(1))
        process = ProcessMetrics(registry: registry)
    }

    /// One answered request: `seconds` runs from its first byte to its answer's last byte written.
    package func recordRequest(method: String, route: String, status: Int, seconds: Double) {
        // Keyed by the values themselves: no text made per request; the labels only for a new series.
        count(in: requestCounters, key: RequestKey(method: method, route: route, status: status), descriptor: Self.requestsTotal) {
            [("method", method), ("route", route), ("status", String(status))]
        }
        recordDuration(route: route, seconds: seconds)
    }

    private static var callsTotal: MetricNameDescriptor {
        .init(
            namespace: "tensor_service", metricName: "grpc_requests", unitName: "total",
            helpText: "gRPC calls ended, by method (its path) and gRPC status code.")
    }

    /// One ended gRPC call of a served method (an unknown one is refused before it is a call, so a client cannot
    /// make series at will); its duration goes to the request histogram under the method.
    package func recordCall(method: String, code: GRPCStatus.Code, seconds: Double) {
        count(in: callCounters, key: "\(method) \(code.rawValue)", descriptor: Self.callsTotal) {
            [("method", method), ("code", String(code.rawValue))]
        }
        recordDuration(route: method, seconds: seconds)
    }

    /// Adds one to the counter of `key`, made with `labels` the first time.
    private func count<Key: Hashable>(
        in counters: Locked<[Key: Counter]>, key: Key, descriptor: MetricNameDescriptor, labels: () -> [(String, String)]
    ) {
        counters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = registry.makeCounter(descriptor: descriptor, labels: labels())
            counters[key] = counter
            return counter
        }.increment()
    }

    private func recordDuration(route: String, seconds: Double) {
        durations.withLock { histograms in
            if let histogram = histograms[route] { return histogram }
            let histogram = registry.makeDurationHistogram(
                descriptor: Self.requestDuration, labels: [("route", route)], buckets: Self.latencyBuckets)
            histograms[route] = histogram
            return histogram
        }.recordNanoseconds(Int64(seconds * 1e9))
    }

    /// One tensor job: how long it waited for a worker and how long it ran, in nanoseconds.
    package func recordJob(route: Route, waitedNanoseconds: UInt64, ranNanoseconds: UInt64) {
        queueWaits[route.rawValue]?.recordNanoseconds(Int64(clamping: waitedNanoseconds))
        computeTimes[route.rawValue]?.recordNanoseconds(Int64(clamping: ranNanoseconds))
    }

    package func recordElements(_ dtype: DType, count: Int) {
        elements[dtype]?.increment(by: Int64(count))
    }

    /// Prometheus text, with the gauges, byte totals and process figures read at this moment.
    package func exposition(
        server: HTTPServer.Statistics, pool: WorkerPool, sharedMemory: SharedMemoryRegistry? = nil, logSink: LogSink? = nil
    ) -> [UInt8] {
        // Read and stored under the lock: two scrapes at once (a pair of Prometheus servers) must not count twice.
        let (newReceived, newSent, newDropped, newAcceptErrors) = reportedTotals.withLock { reported in
            let (received, sent) = (server.receivedBytes, server.sentBytes)
            let newBytes = (received - reported.received, sent - reported.sent)
            reported.received = max(reported.received, received)
            reported.sent = max(reported.sent, sent)
            var newErrors: [(String, Int)] = []
            for (reason, count) in server.acceptErrorCounts {
                newErrors.append((reason, count - reported.acceptErrors[reason, default: 0]))
                reported.acceptErrors[reason] = max(reported.acceptErrors[reason, default: 0], count)
            }
            let dropped = logSink?.droppedLines ?? 0
            let newDropped = dropped - reported.droppedLogLines
            reported.droppedLogLines = max(reported.droppedLogLines, dropped)
            return (newBytes.0, newBytes.1, newDropped, newErrors)
        }
        receivedBytes.increment(by: Int64(max(0, newReceived)))
        sentBytes.increment(by: Int64(max(0, newSent)))
        for (reason, added) in newAcceptErrors where added > 0 { acceptErrors[reason]?.increment(by: Int64(added)) }
        if newDropped > 0 { droppedLogLines.increment(by: Int64(newDropped)) }
        openConnections.set(Int64(server.openConnectionCount))
        queueDepth.set(Int64(pool.queueDepth))
        inflightBytes.set(Int64(server.budget.heldBytes))
        sharedMemoryRegions.set(Int64(sharedMemory?.regionCount ?? 0))
        sharedMemoryMappedBytes.set(Int64(sharedMemory?.mappedBytes ?? 0))
        process.update()
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}

/// A series of `tensor_service_http_requests_total`.
private struct RequestKey: Hashable {
    let method: String
    let route: String
    let status: Int
}
