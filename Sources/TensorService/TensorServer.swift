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
            pool: pool, maxBodyBytes: configuration.http.maxBodyBytes, logger: logger,
            accessLogger: accessLogger ?? Logger(label: "tensor-service.access"))
        http = try HTTPServer(configuration: configuration.http, handler: service, logger: logger)
        service.attach(http)
    }

    /// Binds and serves; returns the bound port.
    package func start() throws -> Int {
        let port = try http.start()
        logger.info("started", metadata: ["port": "\(port)", "workers": "\(configuration.workers)"])
        return port
    }

    /// SIGTERM: readiness turns 503, new connections are refused, in-flight requests finish; returns when all
    /// connections are closed or the grace period is over.
    package func drainAndStop() {
        service.markDraining()
        http.shutdown(grace: configuration.shutdownGrace)
        service.pool.stop()
        logger.info("stopped")
    }
}
