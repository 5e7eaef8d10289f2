/// The content codings this server reads and writes (RFC 9110 §8.4.1).
package enum ContentCoding: String, Sendable {
    case gzip
    /// The zlib-wrapped stream (RFC 1950), as RFC 9110 defines it and tritonclient sends it; a raw deflate stream,
    /// which some clients send under this name, is accepted too.
    case deflate

    /// The coding named by a Content-Encoding token; `x-gzip` is gzip's old name.
    package init?(token: String) {
        switch token.lowercased() {
        case "gzip", "x-gzip": self = .gzip
        case "deflate": self = .deflate
        default: return nil
        }
    }
}
