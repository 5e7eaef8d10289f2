import Foundation
import Logging
import TensorHTTP

/// The whole service wired together: worker pool, application and HTTP server.
package final class TensorServer: Sendable {
    package let configuration: ServiceConfiguration
    package let service: ServiceHandler
    package let http: HTTPServer
    private let logger: Logger

    package init(configuration: ServiceConfiguration, logger: Logger, accessLogger: Logger? = nil) throws {
        self.configuration = configuration
        self.logger = logger
        let pool = WorkerPool(threadCount: configuration.workers, maxQueue: configuration.maxQueue)
        service = ServiceHandler(
            pool: pool, maxBodyBytes: configuration.http.maxBodyBytes,
            sharedMemory: configuration.sharedMemory ? SharedMemoryRegistry() : nil, logger: logger,
            accessLogger: accessLogger ?? Logger(label: "tensor-service.access"), logSink: configuration.logSink,
            accessLog: configuration.logSink.flatMap { sink in configuration.accessLogFormat.map { AccessLogWriter(sink: sink, format: $0) } })
        var transport = configuration.http
        // Each registered region holds its object's descriptor open.
        if configuration.sharedMemory { transport.reservedDescriptors += SharedMemoryRegistry.maxRegions }
        http = try HTTPServer(configuration: transport, handler: service, logger: logger)
        service.attach(http)
    }

    /// Binds and serves; returns the bound port.
    package func start() throws -> Int {
        let port = try http.start()
        logger.info("started", metadata: ["port": "\(port)", "workers": "\(configuration.workers)"])
        return port
    }

    /// SIGTERM (`signal` names what asked, for the log): readiness turns 503 at once; connections are still accepted and served for `drainDelay`; then new
    /// connections are refused and in-flight requests finish. Returns when all connections are closed or the grace
    /// period is over.
    package func drainAndStop(signal: String = "none") {
        let started = ContinuousClock.now
        service.markDraining()
        logger.info(
            "draining",
            metadata: [
                "signal": "\(signal)",
                "open_connections": .stringConvertible(http.openConnectionCount),
                "inflight_bytes": .stringConvertible(http.budget.heldBytes),
                "drain_delay_s": .stringConvertible(Self.seconds(configuration.drainDelay)),
                "grace_s": .stringConvertible(Self.seconds(configuration.shutdownGrace)),
            ])
        if configuration.drainDelay > .zero { Thread.sleep(forTimeInterval: Self.seconds(configuration.drainDelay)) }
        let shutdownStarted = DispatchTime.now()
        let report = http.shutdown(grace: configuration.shutdownGrace)
        // A job still computing for a connection closed at the grace period may finish within 5 s more; the exit
        // does not wait for it longer.
        if !service.pool.stop(waitingUntil: shutdownStarted + configuration.shutdownGrace.dispatchInterval + .seconds(5)) {
            logger.warning("workers still computing at the end of the grace period; exiting without them")
        }
        // Every client's region unmapped and its descriptor closed.
        service.sharedMemory?.unregister(nil)
        logger.info(
            "stopped",
            metadata: [
                "connections_at_drain": .stringConvertible(report.connectionsAtDrain),
                "connections_closed_at_grace": .stringConvertible(report.connectionsClosedAtGrace),
                "seconds": .stringConvertible(Self.seconds(ContinuousClock.now - started)),
            ])
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
