/// A gRPC status: the code and message a call ends with, sent in the `grpc-status` and `grpc-message` trailers.
package struct GRPCStatus: Error, Equatable, Sendable {
    /// The codes of gRPC's `status.proto`.
    package enum Code: Int, Sendable {
        case ok = 0
        case cancelled = 1
        case unknown = 2
        case invalidArgument = 3
        case deadlineExceeded = 4
        case notFound = 5
        case alreadyExists = 6
        case permissionDenied = 7
        case resourceExhausted = 8
        case failedPrecondition = 9
        case aborted = 10
        case outOfRange = 11
        case unimplemented = 12
        case internalError = 13
        case unavailable = 14
        case dataLoss = 15
        case unauthenticated = 16
    }

    package var code: Code
    package var message: String

    package init(_ code: Code, _ message: String = "") {
        self.code = code
        self.message = message
    }

    package static let ok = GRPCStatus(.ok)

    /// Messages are cut to this many bytes: a status never carries unbounded client text.
    static let maxMessageBytes = 1024

    /// `grpc-message` as the gRPC over HTTP/2 spec wants it: UTF-8, with every byte outside 0x20…0x7E and `%`
    /// percent-encoded.
    package var encodedMessage: String {
        var encoded: [UInt8] = []
        for byte in message.utf8.prefix(Self.maxMessageBytes) {
            if byte >= 0x20 && byte <= 0x7E && byte != UInt8(ascii: "%") {
                encoded.append(byte)
            } else {
                let hex = Array("0123456789ABCDEF".utf8)
                encoded += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return String(decoding: encoded, as: UTF8.self)
    }

    /// The trailer fields that end a call with this status.
    package var trailers: [(String, String)] {
        var fields = [("grpc-status", String(code.rawValue))]
        if !message.isEmpty { fields.append(("grpc-message", encodedMessage)) }
        return fields
    }
}
