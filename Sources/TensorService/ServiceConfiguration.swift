import TensorHTTP

/// Everything the service needs to start, built from flags and environment by the executable.
package struct ServiceConfiguration: Sendable {
    package var http = HTTPServerConfiguration()
    /// Threads that run kernels and codecs.
    package var workers = 1
    /// Jobs that may wait for a worker; past it the answer is 503.
    package var maxQueue = 1024
    /// How long a drain may take before the remaining connections are closed.
    package var shutdownGrace: Duration = .seconds(25)
    /// After SIGTERM: how long to keep accepting and serving (readiness already 503) before the drain, while a load
    /// balancer stops sending new clients.
    package var drainDelay: Duration = .zero
    /// Triton's system shared-memory extension (`--shared-memory system`); off by default.
    package var sharedMemory = false
    /// Where the logs go, for the count of lines dropped while their reader stalled; nil when logs go elsewhere.
    package var logSink: LogSink?
    /// Set when access lines are logged (level info or lower) to `logSink` in this format: they are then formatted
    /// straight into bytes (`AccessLogWriter`) rather than through swift-log.
    package var accessLogFormat: SinkLogHandler.Format?

    package init() {}
}
