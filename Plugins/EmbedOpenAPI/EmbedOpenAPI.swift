import Foundation
import PackagePlugin

/// Compiles the repository's `openapi.yaml` into the service, so the served spec is that very file and the
/// binary needs no resource bundle beside it.
@main
struct EmbedOpenAPI: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let input = context.package.directoryURL.appending(path: "openapi.yaml")
        let output = context.pluginWorkDirectoryURL.appending(path: "OpenAPIDocument+Text.swift")
        return [
            .buildCommand(
                displayName: "Embedding openapi.yaml",
                executable: try context.tool(named: "embed-openapi").url,
                arguments: [input.path, output.path],
                inputFiles: [input],
                outputFiles: [output])
        ]
    }
}
