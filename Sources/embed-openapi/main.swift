import Foundation

// Writes `openapi.yaml` as a Swift string, base64-encoded so no character of the spec can end the literal.
let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    FileHandle.standardError.write(Data("usage: embed-openapi INPUT.yaml OUTPUT.swift\n".utf8))
    exit(2)
}
let spec = try Data(contentsOf: URL(fileURLWithPath: arguments[1]))
let source = """
    // Generated from openapi.yaml at build time.
    extension OpenAPIDocument {
        static let base64Text = "\(spec.base64EncodedString())"
    }

    """
try Data(source.utf8).write(to: URL(fileURLWithPath: arguments[2]))
