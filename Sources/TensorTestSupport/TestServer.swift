import Logging
import TensorHTTP
import TensorService

/// Starts the whole service on `127.0.0.1:0`, runs `body` with the bound port, then drains it and waits.
///
/// Tests never pick a port or sleep for the server: the port is read back from the bound socket.
package func withTestServer<Result>(
    _ configure: (inout ServiceConfiguration) -> Void = { _ in },
    _ body: (_ port: Int, _ server: TensorServer) throws -> Result
) throws -> Result {
    var configuration = ServiceConfiguration()
    configuration.http.host = "127.0.0.1"
    configuration.http.port = 0
    configuration.workers = 2
    configuration.shutdownGrace = .seconds(5)
    configure(&configuration)
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    let server = try TensorServer(configuration: configuration, logger: logger, accessLogger: logger)
    let port = try server.start()
    defer { server.drainAndStop() }
    return try body(port, server)
}

/// Convenience for tests that only need the port.
package func withTestServer<Result>(
    _ configure: (inout ServiceConfiguration) -> Void = { _ in }, _ body: (_ port: Int) throws -> Result
) throws -> Result {
    try withTestServer(configure) { port, _ in try body(port) }
}
