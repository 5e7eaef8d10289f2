import Foundation
import Logging
import Synchronization
import TensorHTTP

/// The application: routes each request, runs tensor work on the worker pool and renders every error.
package final class TensorService: HTTPHandler {
    package let pool: WorkerPool
    package let metrics: ServiceMetrics
    private let logger: Logger
    private let observer: RequestObserver
    private let draining = Atomic<Bool>(false)
    private let endpoint: LeakyReLUEndpoint
    private let kserve: KServeEndpoint
    /// The figures of the server this service answers for, read at scrape time.
    private let serverStatistics = Locked<HTTPServer.Statistics?>(nil)

    package init(pool: WorkerPool, maxBodyBytes: Int, logger: Logger, accessLogger: Logger) {
        self.pool = pool
        self.logger = logger
        let metrics = ServiceMetrics()
        self.metrics = metrics
        self.observer = RequestObserver(metrics: metrics, accessLogger: accessLogger)
        self.endpoint = LeakyReLUEndpoint(pool: pool, maxBodyBytes: maxBodyBytes, metrics: metrics)
        self.kserve = KServeEndpoint(pool: pool, maxBodyBytes: maxBodyBytes, metrics: metrics)
    }

    /// Connects the service to the server whose connections and bytes `/metrics` reports.
    package func attach(_ http: HTTPServer) { serverStatistics.withLock { $0 = http.statistics } }

    /// Readiness turns 503 from here on.
    package func markDraining() { draining.store(true, ordering: .relaxed) }

    package var isDraining: Bool { draining.load(ordering: .relaxed) }

    package func answerEarly(_ head: HTTPRequestHead) -> HTTPResponse? {
        do {
            let route = try Route.resolve(method: head.method, path: head.path)
            if route == .leakyReLU { _ = try LeakyReLUEndpoint.plan(for: head) }
            if route == .infer { _ = try KServeEndpoint.plan(for: head) }
            return nil
        } catch {
            let exchange = observer.begin(head, bodyBytes: 0)
            return observer.finish(exchange, ProblemRenderer.response(for: error, path: head.path, logger: logger))
        }
    }

    package func handle(_ request: consuming HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void) {
        let exchange = observer.begin(request.head, bodyBytes: request.body.count)
        let observer = self.observer
        dispatch(request) { response in respond(observer.finish(exchange, response)) }
    }

    private func dispatch(_ request: consuming HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void) {
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
        case .metrics:
            let text = serverStatistics.withLock { $0 }.map { metrics.exposition(server: $0, pool: pool) } ?? []
            respond(HTTPResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: text))
        case .serverMetadata:
            respond(KServeEndpoint.serverMetadata())
        case .serverLive:
            respond(KServeEndpoint.json("{\"live\":true}"))
        case .serverReady, .modelReady:
            respond(KServeEndpoint.json(isDraining ? "{\"ready\":false}" : "{\"ready\":true}", status: isDraining ? 503 : 200))
        case .modelMetadata:
            respond(KServeEndpoint.modelMetadata())
        case .leakyReLU:
            let endpoint = self.endpoint
            runOnWorker(request, respond: respond) { head throws(ServiceError) in
                let plan = try LeakyReLUEndpoint.plan(for: head)
                return { request in try endpoint.run(request, plan: plan) }
            }
        case .infer:
            let kserve = self.kserve
            runOnWorker(request, respond: respond) { head throws(ServiceError) in
                let plan = try KServeEndpoint.plan(for: head)
                return { request in try kserve.infer(request, plan: plan) }
            }
        }
    }

    /// Bodies up to this size, sent without Content-Encoding, may be computed where they arrived when the pool is
    /// idle (`WorkerPool.runHereIfIdle`): their whole job takes a few microseconds, less than the hand-off to a
    /// worker and back. A compressed body is never small enough to tell: it may inflate to the body limit.
    static let maxBodyBytesRunInPlace = 4096

    /// Plans from the head on this (I/O) queue, then runs the work on a worker (or here, when it is small and the
    /// pool idle); a full queue is 503.
    private func runOnWorker(
        _ request: consuming HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void,
        plan: (HTTPRequestHead) throws(ServiceError) -> @Sendable (HTTPRequest) throws -> HTTPResponse
    ) {
        let path = request.head.path
        let work: @Sendable (HTTPRequest) throws -> HTTPResponse
        do {
            work = try plan(request.head)
        } catch {
            respond(ProblemRenderer.response(for: error, path: path, logger: logger))
            return
        }
        let job = WorkerJob(request: request, work: work, logger: logger, respond: respond)
        if job.request.body.count <= Self.maxBodyBytesRunInPlace && job.request.head.headers["content-encoding"] == nil
            && pool.runHereIfIdle({ job.run() })
        {
            return
        }
        if pool.submit({ job.run() }) == .rejected {
            respond(ProblemRenderer.response(
                for: ServiceError.unavailable("All \(pool.maxQueue) queue slots are taken; retry shortly."), path: path,
                logger: logger))
        }
    }

    package func errorResponse(for error: HTTPRequestError, head: HTTPRequestHead?) -> HTTPResponse {
        observer.finish(observer.begin(head, bodyBytes: 0), ProblemRenderer.response(for: error, path: head?.path, logger: logger))
    }

    package func drainingResponse() -> HTTPResponse {
        observer.finish(
            observer.begin(nil, bodyBytes: 0),
            ProblemRenderer.response(
                for: ServiceError.unavailable("The server is shutting down; send this request again elsewhere."), path: nil,
                logger: logger))
    }

    private static func statusResponse(_ status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "application/json", body: Array("{\"status\":\"\(text)\"}".utf8))
    }
}

/// One request's tensor work, carried to a worker thread.
private struct WorkerJob: Sendable {
    let request: HTTPRequest
    let work: @Sendable (HTTPRequest) throws -> HTTPResponse
    let logger: Logger
    let respond: @Sendable (HTTPResponse) -> Void

    func run() {
        do {
            respond(try work(request))
        } catch {
            respond(ProblemRenderer.response(for: error, path: request.head.path, logger: logger))
        }
    }
}
