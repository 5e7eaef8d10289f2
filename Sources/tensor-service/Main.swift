import Foundation

/// Entry point: environment variables fill in the flags the command line left out, then the command runs.
@main
enum Main {
    static func main() {
        let arguments = EnvironmentArguments.merged(
            arguments: Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment,
            flags: ServeCommand.optionNames)
        ServeCommand.main(arguments)
    }
}
