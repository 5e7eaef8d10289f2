import ArgumentParser
import TensorService

/// `tensor-service [serve] [flags]` serves; `tensor-service healthcheck` probes a running server.
struct TensorServiceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tensor-service",
        abstract: "PyTorch's leaky_relu_ as an HTTP service for JSON, raw, NumPy and KServe v2 tensors.",
        version: ServiceVersion.current,
        subcommands: [ServeCommand.self, HealthcheckCommand.self],
        defaultSubcommand: ServeCommand.self)
}
