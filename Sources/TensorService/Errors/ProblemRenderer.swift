import Logging
import TensorCodecs
import TensorHTTP

/// Renders every client error in one shape: RFC 9457 problem+json, or `{"error": ...}` under `/v2`, where the
/// Open Inference Protocol says so. Anything that is not a `ProblemConvertible` is our bug: a generic 500, with
/// the real error in the log.
package enum ProblemRenderer {
    package static let problemTypeBase = "https://tensor-service.dev/problems/"

    package static func response(for error: any Error, path: Substring?, logger: Logger) -> HTTPResponse {
        guard let problem = error as? any ProblemConvertible else {
            logger.error("unexpected error", metadata: ["error": "\(error)", "path": "\(path ?? "")"])
            return response(
                for: ServiceError(status: 500, problemType: "internal", detail: "The server failed; this is a bug."),
                path: path, logger: logger)
        }
        // The Open Inference Protocol (v2) and KServe V1 / TF Serving answer errors as {"error": ...}.
        if let path, path == "/v2" || path.hasPrefix("/v2/") || path == "/v1" || path.hasPrefix("/v1/") {
            let body = "{\"error\":\(JSONText.quoted(problem.detail))}"
            return HTTPResponse(status: problem.status, contentType: "application/json", body: Array(body.utf8), headers: problem.headers)
        }
        let body = "{\"type\":\(JSONText.quoted(problemTypeBase + problem.problemType)),"
            + "\"title\":\(JSONText.quoted(HTTPStatus.reason(problem.status))),"
            + "\"status\":\(problem.status),\"detail\":\(JSONText.quoted(problem.detail))}"
        return HTTPResponse(
            status: problem.status, contentType: "application/problem+json", body: Array(body.utf8), headers: problem.headers)
    }
}
