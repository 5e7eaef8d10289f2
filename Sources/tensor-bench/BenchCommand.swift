import ArgumentParser

/// `tensor-bench`: the project's reproducible performance figures, each printed beside a limit measured in the
/// same run, since absolute numbers drift between machines.
@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tensor-bench",
        abstract: "Measures the kernels and codecs against references taken in the same run.",
        subcommands: [KernelBench.self, JSONBench.self, VerifyDecimalsBench.self, VerifyShortestBench.self])
}
