import Logging
import TensorMemory

/// What a connection needs from the server that accepted it, passed in so a connection can run alone (over a
/// `socketpair` in tests, with no listener or service behind it).
package struct ConnectionEnvironment: Sendable {
    package var handler: any HTTPHandler
    package var budget: InflightBudget
    package var limits: HTTPRequestDecoder.Limits
    package var readTimeout: Duration
    package var idleTimeout: Duration
    /// How long a closing connection reads and drops what the client still sends after the last answer.
    package var lingerTimeout: Duration = .seconds(2)
    package var tls: TLSContext?
    package var logger: Logger
    package var statistics: HTTPServer.Statistics
    /// Called on the connection's loop once its descriptor is closed.
    package var connectionClosed: @Sendable (HTTPConnection) -> Void

    package init(
        handler: any HTTPHandler, budget: InflightBudget, limits: HTTPRequestDecoder.Limits, readTimeout: Duration,
        idleTimeout: Duration, tls: TLSContext? = nil, logger: Logger, statistics: HTTPServer.Statistics,
        connectionClosed: @escaping @Sendable (HTTPConnection) -> Void
    ) {
        self.handler = handler
        self.budget = budget
        self.limits = limits
        self.readTimeout = readTimeout
        self.idleTimeout = idleTimeout
        self.tls = tls
        self.logger = logger
        self.statistics = statistics
        self.connectionClosed = connectionClosed
    }
}
