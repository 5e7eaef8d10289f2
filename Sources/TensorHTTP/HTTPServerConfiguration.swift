/// The transport's limits and timeouts; the service's flags map onto it.
package struct HTTPServerConfiguration: Sendable {
    package var host = "0.0.0.0"
    package var port = 8080
    /// More ports with the same service (`--grpc-port`: gRPC clients and KServe's h2c port use their own).
    package var additionalPorts: [Int] = []
    package var maxBodyBytes = 268_435_456
    package var maxHeadBytes = 16 * 1024
    package var maxConnections = 1024
    /// Descriptors kept free for uses other than connections (reading `/proc` for metrics, a log file, the spare);
    /// `maxConnections` is lowered at start when the descriptor limit cannot hold both.
    package var reservedDescriptors = 16
    /// I/O threads: each runs one event loop and owns the connections pinned to it.
    package var eventLoopCount = EventLoopGroup.coreCount
    /// Body bytes held at once across all connections; a request past it is answered 503 before its body is read.
    package var maxInflightBytes = 1 << 30
    package var readTimeout: Duration = .seconds(30)
    package var idleTimeout: Duration = .seconds(60)
    /// When set, the port speaks HTTPS.
    package var tls: TLSContext?

    package init() {}
}
