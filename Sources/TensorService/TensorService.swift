import Foundation
import Logging
import Synchronization
import TensorHTTP

/// The application: routes each request, runs tensor work on the worker pool and renders every error.
package final class TensorService: HTTPHandler {
    package let pool: WorkerPool
    private let logger: Logger
    private let draining = Atomic<Bool>(false)
    private let endpoint: LeakyReLUEndpoint

    package init(pool: WorkerPool, maxBodyBytes: Int, logger: Logger) {
        self.pool = pool
        self.logger = logger
        self.endpoint = LeakyReLUEndpoint(pool: pool, maxBodyBytes: maxBodyBytes)
    }

    /// Readiness turns 503 from here on.
    package func markDraining() { draining.store(true, ordering: .relaxed) }

    package var isDraining: Bool { draining.load(ordering: .relaxed) }

    package func answerEarly(_ head: HTTPRequestHead) -> HTTPResponse? {
        do {
            let route = try Route.resolve(method: head.method, path: head.path)
            if route == .leakyReLU { _ = try LeakyReLUEndpoint.plan(for: head) }
            return nil
        } catch {
            return ProblemRenderer.response(for: error, path: head.path, logger: logger)
        }
    }

    package func handle(_ request: consuming HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void) {
        let head = request.head
        let route: Route
        do {
            route = try Route.resolve(method: head.method, path: head.path)
        } catch {
            respond(ProblemRenderer.response(for: error, path: head.path, logger: logger))
            return
        }
        switch route {
        case .healthz:
            respond(Self.statusResponse(200, "ok"))
        case .readyz:
            if isDraining {
                respond(ProblemRenderer.response(
                    for: ServiceError.unavailable("The server is draining and takes no new work."), path: head.path,
                    logger: logger))
            } else {
                respond(Self.statusResponse(200, "ready"))
            }
        case .openAPI:
            respond(HTTPResponse(status: 200, contentType: "application/yaml", body: OpenAPIDocument.bytes))
        case .leakyReLU:
            runLeakyReLU(request, respond: respond)
        }
    }

    private func runLeakyReLU(_ request: consuming HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void) {
        let path = request.head.path
        let plan: LeakyReLUEndpoint.Plan
        do {
            plan = try LeakyReLUEndpoint.plan(for: request.head)
        } catch {
            respond(ProblemRenderer.response(for: error, path: path, logger: logger))
            return
        }
        let job = LeakyReLUJob(request: request, plan: plan, endpoint: endpoint, logger: logger, respond: respond)
        if pool.submit({ job.run() }) == .rejected {
            respond(ProblemRenderer.response(
                for: ServiceError.unavailable("All \(pool.maxQueue) queue slots are taken; retry shortly."), path: path,
                logger: logger))
        }
    }

    package func errorResponse(for error: HTTPRequestError, head: HTTPRequestHead?) -> HTTPResponse {
        ProblemRenderer.response(for: error, path: head?.path, logger: logger)
    }

    package func drainingResponse() -> HTTPResponse {
        ProblemRenderer.response(
            for: ServiceError.unavailable("The server is shutting down; send this request again elsewhere."), path: nil,
            logger: logger)
    }

    private static func statusResponse(_ status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "application/json", body: Array("{\"status\":\"\(text)\"}".utf8))
    }
}

/// One request's tensor work, carried to a worker thread.
private struct LeakyReLUJob: Sendable {
    let request: HTTPRequest
    let plan: LeakyReLUEndpoint.Plan
    let endpoint: LeakyReLUEndpoint
    let logger: Logger
    let respond: @Sendable (HTTPResponse) -> Void

    func run() {
        do {
            respond(try endpoint.run(request, plan: plan))
        } catch {
            respond(ProblemRenderer.response(for: error, path: request.head.path, logger: logger))
        }
    }
}
