import Foundation

/// The service's own OpenAPI description, served at `/openapi.yaml`: the repository's file, embedded at build time.
enum OpenAPIDocument {
    static let bytes: [UInt8] = Array(Data(base64Encoded: base64Text) ?? Data())
}
