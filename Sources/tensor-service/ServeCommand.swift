import ArgumentParser
import CMalloc
import Dispatch
import Foundation
import Logging
import TensorHTTP
import TensorMemory
import TensorService

/// `tensor-service`: flags (or `TENSOR_SERVICE_*` variables) → configuration → serve until SIGTERM/SIGINT.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serves PyTorch's leaky_relu_ over HTTP for JSON, raw and NumPy tensors (the default command).",
        discussion: "Every flag also reads TENSOR_SERVICE_<FLAG> (--max-body-bytes reads TENSOR_SERVICE_MAX_BODY_BYTES); the flag wins.")

    /// The long names of every option, each also read from `TENSOR_SERVICE_<NAME>`.
    static let optionNames = [
        "--host", "--port", "--workers", "--max-body-bytes", "--max-connections", "--max-queue", "--max-inflight-bytes",
        "--read-timeout", "--idle-timeout", "--shutdown-grace", "--drain-delay", "--tls-cert", "--tls-key", "--log-level", "--log-format",
        "--shared-memory", "--grpc-port",
    ]

    @Option(help: "Address to bind: 0.0.0.0, :: (IPv6 and IPv4), or 127.0.0.1 for loopback only.")
    var host = "0.0.0.0"

    @Option(help: "TCP port; 0 picks a free one.")
    var port = 8080

    @Option(help: "A second port with the same service, for gRPC clients (Triton's convention is 8001); 0 picks a free one. Off by default: the HTTP port speaks gRPC too.")
    var grpcPort: Int?

    @Option(help: "Threads that run kernels (default: active CPUs).")
    var workers: Int?

    @Option(help: "Largest request body in bytes, before and after decompression.")
    var maxBodyBytes = 268_435_456

    @Option(help: "Open connections; more wait in the listen backlog.")
    var maxConnections = 1024

    @Option(help: "Jobs waiting for a worker; past it the answer is 503 with Retry-After.")
    var maxQueue = 1024

    @Option(help: "Memory requests hold at once across all connections: bodies, decoded tensors, answer text (default 1 GiB, at most half a cgroup memory limit).")
    var maxInflightBytes: Int?

    @Option(help: "Seconds for a request to arrive whole, else 408 and close.")
    var readTimeout: Double = 30

    @Option(help: "Seconds before an idle keep-alive connection is closed.")
    var idleTimeout: Double = 60

    @Option(help: "Seconds to finish in-flight work after SIGTERM/SIGINT.")
    var shutdownGrace: Double = 25

    @Option(help: "Seconds to keep accepting and serving after SIGTERM/SIGINT, readiness already 503, before the drain.")
    var drainDelay: Double = 0

    @Option(help: "PEM certificate chain; with --tls-key the port speaks HTTPS (TLS 1.2 and 1.3).")
    var tlsCert: String?

    @Option(help: "PEM private key for --tls-cert.")
    var tlsKey: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical; logs go to stderr.")
    var logLevel: Logger.Level = .info

    @Option(help: "text, or json for one JSON object per line (for log shippers).")
    var logFormat: LogFormat = .text

    enum LogFormat: String, ExpressibleByArgument {
        case text, json
    }

    @Option(help: "off, or system for Triton's system shared-memory extension under /v2 (same-host clients).")
    var sharedMemory: SharedMemoryMode = .off

    enum SharedMemoryMode: String, ExpressibleByArgument {
        case off, system
    }

    /// Every number is checked against a range before it becomes a configuration: a value past it (a timeout of
    /// 1e16 seconds overflows its conversion to nanoseconds) is a usage error that names the flag and its variable.
    func validate() throws {
        try Self.check("--port", port, in: 0...65535)
        if let grpcPort { try Self.check("--grpc-port", grpcPort, in: 0...65535) }
        if let workers { try Self.check("--workers", workers, in: 1...1024) }
        try Self.check("--max-body-bytes", maxBodyBytes, in: 1...(1 << 40))
        try Self.check("--max-connections", maxConnections, in: 1...1_000_000)
        try Self.check("--max-queue", maxQueue, in: 0...1_000_000)
        if let maxInflightBytes { try Self.check("--max-inflight-bytes", maxInflightBytes, in: 1...(1 << 50)) }
        try Self.check("--read-timeout", readTimeout, in: 0.001...86_400, unit: " seconds")
        try Self.check("--idle-timeout", idleTimeout, in: 0.001...86_400, unit: " seconds")
        try Self.check("--shutdown-grace", shutdownGrace, in: 0.001...3600, unit: " seconds")
        try Self.check("--drain-delay", drainDelay, in: 0...3600, unit: " seconds")
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together.") }
    }

    private static func check<Value: Comparable>(
        _ flag: String, _ value: Value, in range: ClosedRange<Value>, unit: String = ""
    ) throws {
        guard range.contains(value) else {
            let variable = EnvironmentArguments.variableName(for: flag)
            throw ValidationError("\(flag) (or \(variable)) must be within \(range.lowerBound)…\(range.upperBound)\(unit); got \(value).")
        }
    }

    func run() throws {
        // Before any thread starts (the log's own is the first), so that every thread inherits the mask: from the
        // "listening on" line on, a supervisor may send SIGTERM at any moment, and it must wait for
        // `TerminationSignals.wait()`.
        TerminationSignals.block()
        let (level, format, sink) = (logLevel, logFormat, LogSink.standardError)
        LoggingSystem.bootstrap { label in
            var handler = SinkLogHandler(label: label, format: format == .json ? .json : .text, sink: sink)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "tensor-service")
        // Bodies of 4 MiB and more always get their own mapping, returned to the system when freed; glibc's adaptive threshold
        // would otherwise keep freed tensor buffers in per-thread arenas and let the resident size creep up.
        _ = mallopt(M_MMAP_THRESHOLD, 4 << 20)
        // Event loops and workers free buffers on several threads; one arena per core keeps them from piling up in each.
        _ = mallopt(M_ARENA_MAX, Int32(max(2, ProcessInfo.processInfo.activeProcessorCount)))
        var configuration = makeConfiguration()
        configuration.logSink = sink
        if level <= .info { configuration.accessLogFormat = format == .json ? .json : .text }
        if maxInflightBytes == nil {
            let chosen = InflightBudgetDefault(limit: CgroupMemoryLimit.find())
            configuration.http.maxInflightBytes = chosen.bytes
            logger.info("memory budget", metadata: ["max_inflight_bytes": .stringConvertible(chosen.bytes), "from": .string(chosen.reason)])
        }
        // Past the soft descriptor limit every accept fails; the hard limit is the operator's word.
        let descriptorLimit = Syscall.raiseDescriptorLimit()
        logger.debug("descriptor limit", metadata: ["limit": .stringConvertible(descriptorLimit)])
        if let tlsCert, let tlsKey {
            do {
                configuration.http.tls = try TLSContext(certificatePath: tlsCert, keyPath: tlsKey)
            } catch {
                throw ValidationError("TLS: \(error.description).")
            }
        }
        let server = try TensorServer(configuration: configuration, logger: logger)
        let boundPort = try server.start()
        let shownHost = host.contains(":") ? "[\(host)]" : host
        print("listening on \(tlsCert == nil ? "http" : "https")://\(shownHost):\(boundPort)")
        if let grpcBound = server.http.additionalBoundPorts.first { print("listening for gRPC on \(shownHost):\(grpcBound)") }
        fflush(nil)
        let signal = TerminationSignals.wait()
        server.drainAndStop(signal: signal == SIGINT ? "SIGINT" : "SIGTERM")
        // Every line logged so far goes out before the exit, unless nobody reads them: then the exit does not wait.
        sink.flush(timeout: .seconds(2))
        // Returning ends the process with status 0.
    }

    func makeConfiguration() -> ServiceConfiguration {
        var configuration = ServiceConfiguration()
        configuration.http.host = host
        configuration.http.port = port
        configuration.http.additionalPorts = grpcPort.map { [$0] } ?? []
        configuration.http.maxBodyBytes = maxBodyBytes
        configuration.http.maxConnections = maxConnections
        configuration.http.maxInflightBytes = maxInflightBytes ?? InflightBudgetDefault.withoutLimit
        configuration.http.readTimeout = .milliseconds(Int64(readTimeout * 1000))
        configuration.http.idleTimeout = .milliseconds(Int64(idleTimeout * 1000))
        configuration.workers = workers ?? ProcessInfo.processInfo.activeProcessorCount
        configuration.maxQueue = maxQueue
        configuration.shutdownGrace = .milliseconds(Int64(shutdownGrace * 1000))
        configuration.drainDelay = .milliseconds(Int64(drainDelay * 1000))
        configuration.sharedMemory = sharedMemory == .system
        return configuration
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
