import TensorMemory

/// Why a request could not be read. Each case maps to one status; the service renders the body.
package enum HTTPRequestError: Error, Equatable, Sendable {
    case malformedRequestLine(String)
    case malformedHeader(String)
    case missingHost
    case invalidContentLength(String)
    case conflictingFraming
    case invalidChunk(String)
    case lengthRequired
    case unsupportedTransferEncoding(String)
    case unsupportedVersion(String)
    case headTooLarge(limit: Int)
    case bodyTooLarge(limit: Int)
    case requestTimeout
    case overloaded(inflightLimit: Int)
    /// The body alone is larger than the whole in-flight budget: no retry can succeed.
    case exceedsInflightBudget(limit: Int)

    package var status: Int {
        switch self {
        case .malformedRequestLine, .malformedHeader, .missingHost, .invalidContentLength, .conflictingFraming,
            .invalidChunk:
            400
        case .lengthRequired: 411
        case .unsupportedTransferEncoding: 501
        case .unsupportedVersion: 505
        case .headTooLarge: 431
        case .bodyTooLarge, .exceedsInflightBudget: 413
        case .requestTimeout: 408
        case .overloaded: 503
        }
    }

    /// A sentence for the client that says what was wrong.
    package var detail: String {
        switch self {
        case .malformedRequestLine(let why): "The request line is malformed: \(why)."
        case .malformedHeader(let why): "A header field is malformed: \(why)."
        case .missingHost: "An HTTP/1.1 request needs exactly one Host header."
        case .invalidContentLength(let value): "Content-Length \"\(value)\" is not a single non-negative integer."
        case .conflictingFraming: "A request may not carry both Transfer-Encoding and Content-Length."
        case .invalidChunk(let why): "The chunked body is malformed: \(why)."
        case .lengthRequired: "A request with a body needs Content-Length or Transfer-Encoding: chunked."
        case .unsupportedTransferEncoding(let coding): "Transfer-Encoding \"\(coding)\" is not supported; use chunked."
        case .unsupportedVersion(let version): "\(version) is not supported; use HTTP/1.1."
        case .headTooLarge(let limit): "The request line and headers exceed \(limit) bytes."
        case .bodyTooLarge(let limit): "The request body exceeds the limit of \(limit) bytes."
        case .requestTimeout: "The request did not arrive in time."
        case .overloaded: "The server holds as many request bodies as its memory budget allows; retry shortly."
        case .exceedsInflightBudget(let limit):
            "The request body is larger than the server's whole in-flight memory budget of \(limit) bytes; it can be "
                + "served only with a larger --max-inflight-bytes."
        }
    }
}
