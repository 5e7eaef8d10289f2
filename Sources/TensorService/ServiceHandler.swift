import Foundation
import Logging
import Synchronization
import TensorHTTP

/// The application: routes each request, runs tensor work on the worker pool and renders every error.
package final class ServiceHandler: HTTPHandler {
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

    package func prepare(_ head: HTTPRequestHead) -> HeadDecision {
        do {
            return .proceed(context: try prepareRequest(head))
        } catch {
            let exchange = observer.begin(head, bodyBytes: 0)
            return .answer(observer.finish(exchange, ProblemRenderer.response(for: error, path: head.path, logger: logger)))
        }
    }

    package func handle(
        _ request: consuming HTTPRequest, context: (any Sendable)?, respond: @escaping @Sendable (HTTPResponse) -> Void
    ) {
        let head = request.head
        let prepared: PreparedRequest
        if let context = context as? PreparedRequest {
            prepared = context
        } else {
            // A request without a body was not prepared from its head alone.
            do {
                prepared = try prepareRequest(head)
            } catch {
                let exchange = observer.begin(head, bodyBytes: request.body.count)
                respond(observer.finish(exchange, ProblemRenderer.response(for: error, path: head.path, logger: logger)))
                return
            }
        }
        let exchange = observer.begin(head, route: prepared.route, bodyBytes: request.body.count)
        let observer = self.observer
        dispatch(request, prepared) { response in respond(observer.finish(exchange, response)) }
    }

    /// What a head decides: its route and, for the tensor routes, the planned work. Everything here can be checked
    /// before the body is read, so `Expect: 100-continue` gets its errors early.
    private struct PreparedRequest: Sendable {
        var route: Route
        var work: (@Sendable (HTTPRequest) throws -> HTTPResponse)?
        /// Whether the body must be inflated first (its Content-Encoding is gzip or deflate).
        var isBodyCompressed = false
    }

    private func prepareRequest(_ head: HTTPRequestHead) throws(ServiceError) -> PreparedRequest {
        let route = try Route.resolve(method: head.method, path: head.path)
        switch route {
        case .leakyReLU:
            let plan = try LeakyReLUEndpoint.plan(for: head)
            let endpoint = self.endpoint
            return PreparedRequest(
                route: route, work: { request in try endpoint.run(request, plan: plan) },
                isBodyCompressed: plan.requestCoding != nil)
        case .infer:
            let plan = try KServeEndpoint.plan(for: head)
            let kserve = self.kserve
            return PreparedRequest(
                route: route, work: { request in try kserve.infer(request, plan: plan) },
                isBodyCompressed: plan.requestCoding != nil)
        default:
            return PreparedRequest(route: route, work: nil)
        }
    }

    private func dispatch(
        _ request: consuming HTTPRequest, _ prepared: PreparedRequest, respond: @escaping @Sendable (HTTPResponse) -> Void
    ) {
        if let work = prepared.work {
            runOnWorker(request, route: prepared.route, work: work, isBodyCompressed: prepared.isBodyCompressed, respond: respond)
            return
        }
        let head = request.head
        switch prepared.route {
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
        case .leakyReLU, .infer:
            preconditionFailure("tensor routes are prepared with their work")
        }
    }

    /// Bodies up to this size, sent without Content-Encoding, may be computed where they arrived when the pool is
    /// idle (`WorkerPool.runHereIfIdle`): their whole job takes a few microseconds, less than the hand-off to a
    /// worker and back. A compressed body is never small enough to tell: it may inflate to the body limit.
    static let maxBodyBytesRunInPlace = 4096

    /// Runs planned work on a worker (or here, when it is small and the pool idle); a full queue is 503.
    private func runOnWorker(
        _ request: consuming HTTPRequest, route: Route, work: @escaping @Sendable (HTTPRequest) throws -> HTTPResponse,
        isBodyCompressed: Bool, respond: @escaping @Sendable (HTTPResponse) -> Void
    ) {
        let path = request.head.path
        let job = WorkerJob(
            request: request, route: route, work: work, logger: logger, metrics: metrics,
            submitted: DispatchTime.now().uptimeNanoseconds, respond: respond)
        if !isBodyCompressed && job.request.body.count <= Self.maxBodyBytesRunInPlace && pool.runHereIfIdle({ job.run() })
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

/// One request's tensor work, carried to a worker thread, timed for the queue-wait and compute histograms.
private struct WorkerJob: Sendable {
    let request: HTTPRequest
    let route: Route
    let work: @Sendable (HTTPRequest) throws -> HTTPResponse
    let logger: Logger
    let metrics: ServiceMetrics
    /// Monotonic nanoseconds when the job was handed to the pool.
    let submitted: UInt64
    let respond: @Sendable (HTTPResponse) -> Void

    func run() {
        let started = DispatchTime.now().uptimeNanoseconds
        let response: HTTPResponse
        do {
            response = try work(request)
        } catch {
            response = ProblemRenderer.response(for: error, path: request.head.path, logger: logger)
        }
        let finished = DispatchTime.now().uptimeNanoseconds
        metrics.recordJob(route: route, waitedNanoseconds: started &- submitted, ranNanoseconds: finished &- started)
        respond(response)
    }
}
