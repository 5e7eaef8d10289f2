import TensorCodecs
import TensorHTTP
import TensorMemory

/// An error a client can cause, with everything needed to answer it.
package protocol ProblemConvertible: Error {
    var status: Int { get }
    /// A stable identifier for the kind of problem, the last part of the problem type URI.
    var problemType: String { get }
    var detail: String { get }
    /// Extra answer headers (`Allow`, `Retry-After`).
    var headers: [(String, String)] { get }
}

extension ProblemConvertible {
    package var headers: [(String, String)] { [] }
}

/// Errors the service itself raises about a request.
package struct ServiceError: ProblemConvertible, Equatable {
    package var status: Int
    package var problemType: String
    package var detail: String
    package var extraHeaders: [String: String] = [:]

    package var headers: [(String, String)] { extraHeaders.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }

    package static func notFound(_ path: Substring) -> ServiceError {
        ServiceError(status: 404, problemType: "not-found", detail: "No resource at \(path.prefix(200)).")
    }

    package static func unknownModel(_ detail: String) -> ServiceError {
        ServiceError(status: 404, problemType: "unknown-model", detail: detail)
    }

    package static func methodNotAllowed(_ method: String, allowed: [String]) -> ServiceError {
        ServiceError(
            status: 405, problemType: "method-not-allowed",
            detail: "\(method.prefix(32)) is not allowed here; use \(allowed.joined(separator: " or ")).",
            extraHeaders: ["Allow": allowed.joined(separator: ", ")])
    }

    package static func unsupportedMediaType(_ detail: String) -> ServiceError {
        ServiceError(status: 415, problemType: "unsupported-media-type", detail: detail)
    }

    package static func notAcceptable(_ detail: String) -> ServiceError {
        ServiceError(status: 406, problemType: "not-acceptable", detail: detail)
    }

    package static func badRequest(_ type: String, _ detail: String) -> ServiceError {
        ServiceError(status: 400, problemType: type, detail: detail)
    }

    package static func unavailable(_ detail: String) -> ServiceError {
        ServiceError(status: 503, problemType: "unavailable", detail: detail, extraHeaders: ["Retry-After": "1"])
    }
}

extension CodecError: ProblemConvertible {
    package var status: Int {
        switch kind {
        case .malformed: 400
        case .notFloatingPoint: 422
        case .notRepresentable: 406
        case .tooLarge, .exceedsBudget: 413
        case .overBudget: 503
        }
    }

    package var headers: [(String, String)] { kind == .overBudget ? [("Retry-After", "1")] : [] }

    package var problemType: String {
        switch kind {
        case .malformed: "malformed-tensor"
        case .notFloatingPoint: "unsupported-dtype"
        case .notRepresentable: "not-acceptable"
        case .tooLarge: "body-too-large"
        case .overBudget: "overloaded"
        case .exceedsBudget: "exceeds-memory-budget"
        }
    }
}

extension HTTPRequestError: ProblemConvertible {
    package var problemType: String {
        switch self {
        case .malformedRequestLine, .malformedHeader, .missingHost, .invalidContentLength, .conflictingFraming,
            .invalidChunk:
            "malformed-request"
        case .lengthRequired: "length-required"
        case .unsupportedTransferEncoding: "unsupported-transfer-encoding"
        case .unsupportedVersion: "http-version-not-supported"
        case .headTooLarge: "headers-too-large"
        case .bodyTooLarge: "body-too-large"
        case .requestTimeout: "request-timeout"
        case .overloaded: "overloaded"
        case .exceedsInflightBudget: "exceeds-memory-budget"
        }
    }

    package var headers: [(String, String)] {
        if case .overloaded = self { return [("Retry-After", "1")] }
        return []
    }
}
