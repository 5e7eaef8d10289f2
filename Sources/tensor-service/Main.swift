import Foundation

/// Entry point: environment variables fill in the flags the command line left out, then the command runs.
@main
enum Main {
    static func main() {
        var arguments = Array(CommandLine.arguments.dropFirst())
        // The variables configure the server; a healthcheck takes only its own flags.
        if arguments.first != "healthcheck" {
            arguments = EnvironmentArguments.merged(
                arguments: arguments, environment: ProcessInfo.processInfo.environment, flags: ServeCommand.optionNames)
        }
        TensorServiceCommand.main(arguments)
    }
}
