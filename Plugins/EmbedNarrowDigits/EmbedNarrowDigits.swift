import Foundation
import PackagePlugin

/// Generates the shortest text of every float16 and bfloat16 value at build time (`make-narrow-digits`), so the
/// JSON writer only looks them up.
@main
struct EmbedNarrowDigits: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "NarrowDigits+Records.swift")
        return [
            .buildCommand(
                displayName: "Generating the float16 and bfloat16 digit records",
                executable: try context.tool(named: "make-narrow-digits").url,
                arguments: [output.path],
                outputFiles: [output])
        ]
    }
}
