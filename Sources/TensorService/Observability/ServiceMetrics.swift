import Dispatch
import Metrics
import Prometheus
import TensorHTTP
import TensorKernels

/// The service's Prometheus metrics, recorded through swift-metrics into a registry of its own (never the global
/// bootstrap, so tests and servers in one process do not mix their numbers).
package final class ServiceMetrics: Sendable {
    package let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let requestCounters = Locked<[String: Metrics.Counter]>([:])
    private let durations = Locked<[String: Metrics.Timer]>([:])
    private let elements: [DType: Metrics.Counter]
    private let receivedBytes: Metrics.Counter
    private let sentBytes: Metrics.Counter
    private let openConnections: Metrics.Gauge
    private let queueDepth: Metrics.Gauge
    private let inflightBytes: Metrics.Gauge
    /// Transport byte totals already added to the counters, so each scrape adds only what is new.
    private let reportedTotals = Locked<(received: Int, sent: Int)>((0, 0))

    package init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["tensor_service_http_request_duration_seconds"] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
        ]
        self.factory = factory
        var elements: [DType: Metrics.Counter] = [:]
        for dtype in DType.allCases {
            elements[dtype] = Metrics.Counter(
                label: "tensor_service_elements_processed_total", dimensions: [("dtype", dtype.rawValue)], factory: factory)
        }
        self.elements = elements
        receivedBytes = Metrics.Counter(label: "tensor_service_received_bytes_total", factory: factory)
        sentBytes = Metrics.Counter(label: "tensor_service_sent_bytes_total", factory: factory)
        openConnections = Metrics.Gauge(label: "tensor_service_open_connections", factory: factory)
        queueDepth = Metrics.Gauge(label: "tensor_service_queue_depth", factory: factory)
        inflightBytes = Metrics.Gauge(label: "tensor_service_inflight_bytes", factory: factory)
    }

    /// One answered request.
    package func recordRequest(method: String, route: String, status: Int, seconds: Double) {
        let key = "\(method) \(route) \(status)"
        let counter = requestCounters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = Metrics.Counter(
                label: "tensor_service_http_requests_total",
                dimensions: [("method", method), ("route", route), ("status", String(status))], factory: factory)
            counters[key] = counter
            return counter
        }
        counter.increment()
        let timer = durations.withLock { timers in
            if let timer = timers[route] { return timer }
            let timer = Metrics.Timer(
                label: "tensor_service_http_request_duration_seconds", dimensions: [("route", route)], factory: factory)
            timers[route] = timer
            return timer
        }
        timer.recordNanoseconds(Int64(seconds * 1e9))
    }

    package func recordElements(_ dtype: DType, count: Int) {
        elements[dtype]?.increment(by: count)
    }

    /// Prometheus text, with the gauges and byte totals read from the server at this moment.
    package func exposition(server: HTTPServer.Statistics, pool: WorkerPool) -> [UInt8] {
        let (received, sent) = (server.receivedBytes, server.sentBytes)
        let (newReceived, newSent) = reportedTotals.withLock { reported in
            defer { reported = (received, sent) }
            return (received - reported.received, sent - reported.sent)
        }
        receivedBytes.increment(by: max(0, newReceived))
        sentBytes.increment(by: max(0, newSent))
        openConnections.record(server.openConnectionCount)
        queueDepth.record(pool.queueDepth)
        inflightBytes.record(server.budget.heldBytes)
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
