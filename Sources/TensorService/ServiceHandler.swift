import Dispatch
import Foundation
import Logging
import Synchronization
import TensorHTTP
import TensorMemory

/// The application: routes each request once, from its head, into an exchange that carries the decision (route
/// and planned work) to the handling; runs tensor work on the worker pool and renders every error.
package final class ServiceHandler: HTTPHandler {
    package let pool: WorkerPool
    package let metrics: ServiceMetrics
    let logger: Logger
    private let observer: RequestObserver
    private let draining = Atomic<Bool>(false)
    private let maxBodyBytes: Int
    /// The model's inference counts and stage times, for `GET /v2/models/stats`.
    package let inferenceStatistics = InferenceStatistics()
    /// The figures of the server this service answers for, read at scrape time.
    private let serverStatistics = Locked<HTTPServer.Statistics?>(nil)

    /// Triton's system shared-memory regions; nil while the extension is off (`--shared-memory off`).
    package let sharedMemory: SharedMemoryRegistry?

    /// Where the logs go, for `/metrics`.
    private let logSink: LogSink?

    package init(
        pool: WorkerPool, maxBodyBytes: Int, sharedMemory: SharedMemoryRegistry? = nil, logger: Logger, accessLogger: Logger,
        logSink: LogSink? = nil, accessLog: AccessLogWriter? = nil
    ) {
        self.logSink = logSink
        self.pool = pool
        self.sharedMemory = sharedMemory
        self.logger = logger
        let metrics = ServiceMetrics()
        self.metrics = metrics
        self.observer = RequestObserver(metrics: metrics, accessLogger: accessLogger, accessLog: accessLog)
        self.maxBodyBytes = maxBodyBytes
    }

    /// Connects the service to the server whose connections and bytes `/metrics` reports.
    package func attach(_ http: HTTPServer) { serverStatistics.withLock { $0 = http.statistics } }

    /// gRPC health watchers, told NOT_SERVING when the drain begins.
    let healthWatchers = HealthWatchers()

    /// Readiness turns 503 from here on (and gRPC health NOT_SERVING).
    package func markDraining() {
        draining.store(true, ordering: .relaxed)
        healthWatchers.drain()
    }

    /// A gRPC call: the method its path names (`GRPCService`).
    package func prepareCall(_ head: HTTPRequestHead) -> GRPCCallDecision {
        GRPCService.decide(head, service: self)
    }

    /// A gRPC call ended: counted by method and code, and logged like a request.
    func observeCall(_ call: GRPCCallContext, status: GRPCStatus, messagesIn: Int, bytesIn: Int, bytesOut: Int) {
        let seconds = Double(DispatchTime.now().uptimeNanoseconds &- call.started) / 1e9
        observer.finishCall(call, status: status, messagesIn: messagesIn, bytesIn: bytesIn, bytesOut: bytesOut, seconds: seconds)
    }

    package var isDraining: Bool { draining.load(ordering: .relaxed) }

    /// The one decision per request: its route, and for the tensor routes the planned work. Everything here can be
    /// checked before the body is read.
    package func prepare(_ head: HTTPRequestHead) -> HeadDecision {
        let route: Route
        switch Route.resolve(method: head.method, path: head.path) {
        case .route(let resolved):
            route = resolved
        case .refused(let error, let known):
            return .answer(problem(error, head: head, route: known))
        }
        let plan: Plan
        do {
            plan = try self.plan(for: route, head: head)
        } catch {
            return .answer(problem(error, head: head, route: route))
        }
        switch plan {
        case .fromState:
            // Two words, kept in the existential's own storage: routing a probe or a metadata request allocates nothing
            // (RoutedExchange, which can carry a pipeline, is boxed).
            return .proceed(StateAnswerExchange(route: route, service: self))
        case .fromRequest(let action):
            return .proceed(RoutedExchange(route: route, action: action, service: self))
        }
    }

    /// How a routed request is answered.
    private enum Plan {
        /// From the service's state alone (`stateAnswer`), whatever the request holds.
        case fromState
        /// From the request: an answer made at once, or tensor work.
        case fromRequest(RoutedExchange.Action)
    }

    /// What answering `route` takes: an answer from the service's state, one made at once from the request, or
    /// tensor work for a worker.
    private func plan(for route: Route, head: HTTPRequestHead) throws(ServiceError) -> Plan {
        switch route {
        case .leakyReLU:
            return .fromRequest(.tensorWork(try LeakyReLUEndpoint.pipeline(for: head)))
        case .infer:
            return .fromRequest(.tensorWork(try KServeEndpoint.pipeline(for: head, sharedMemory: sharedMemory)))
        case .v1Predict:
            return .fromRequest(.tensorWork(try V1Endpoint.pipeline(for: head)))
        case .sharedMemoryStatus, .sharedMemoryRegister, .sharedMemoryUnregister:
            return .fromRequest(try SharedMemoryEndpoint.action(for: route, head: head, registry: sharedMemory))
        case .healthz, .readyz, .openAPI, .metrics, .serverMetadata, .serverLive, .serverReady, .modelReady,
            .modelMetadata, .modelConfig, .v1Root, .v1Models, .v1ModelStatus, .v1ModelMetadata, .modelStatistics,
            .allModelStatistics:
            return .fromState
        }
    }

    /// The answer of a route planned `.fromState`, made from the service's state when the request is handled.
    func stateAnswer(for route: Route) throws -> HTTPResponse {
        switch route {
        case .healthz:
            return Self.healthzResponse
        case .readyz:
            guard isDraining else { return Self.statusResponse(200, "ready") }
            throw ServiceError.unavailable("The server is draining and takes no new work.")
        case .openAPI:
            return HTTPResponse(status: 200, contentType: "application/yaml", body: OpenAPIDocument.bytes)
        case .metrics:
            let text = serverStatistics.withLock { $0 }.map {
                metrics.exposition(server: $0, pool: pool, sharedMemory: sharedMemory, logSink: logSink)
            } ?? []
            return HTTPResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: text)
        case .serverMetadata:
            return KServeEndpoint.serverMetadata(withSharedMemory: sharedMemory != nil)
        case .serverLive:
            return KServeEndpoint.json("{\"live\":true}")
        case .serverReady, .modelReady:
            return KServeEndpoint.json(isDraining ? "{\"ready\":false}" : "{\"ready\":true}", status: isDraining ? 503 : 200)
        case .modelMetadata:
            return KServeEndpoint.modelMetadata()
        case .modelConfig:
            return KServeEndpoint.modelConfig(instances: pool.threadCount)
        case .v1Root:
            return KServeEndpoint.json(#"{"status":"alive"}"#)
        case .v1Models:
            return KServeEndpoint.json(#"{"models":["\#(Route.modelName)"]}"#)
        case .v1ModelStatus:
            return KServeEndpoint.json(
                #"{"name":"\#(Route.modelName)","ready":\#(!isDraining)}"#, status: isDraining ? 503 : 200)
        case .v1ModelMetadata:
            return KServeEndpoint.json(V1Endpoint.metadata)
        case .modelStatistics, .allModelStatistics:
            return KServeEndpoint.json(inferenceStatistics.json(modelName: Route.modelName, version: Route.modelVersion))
        case .leakyReLU, .infer, .v1Predict, .sharedMemoryStatus, .sharedMemoryRegister, .sharedMemoryUnregister:
            // `plan(for:head:)` plans these from their request, never `.fromState`.
            preconditionFailure("\(route) is not answered from the service's state")
        }
    }

    /// Bodies up to this size, sent without Content-Encoding, may be computed where they arrived when the pool is
    /// idle (`WorkerPool.runHereIfIdle`): their whole job takes a few microseconds, less than the hand-off to a
    /// worker and back. A compressed body is never small enough to tell: it may inflate to the body limit.
    static let maxBodyBytesRunInPlace = 4096

    /// Runs a request's pipeline on a worker (or here, when it is small and the pool idle); a full queue is 503.
    fileprivate func runTensorWork(
        _ request: consuming HTTPRequest, route: Route, pipeline: TensorPipeline,
        respond: @escaping @Sendable (HTTPResponse) -> Void
    ) {
        let path = request.head.path
        let (pool, maxBodyBytes, metrics) = (pool, maxBodyBytes, metrics)
        let job = WorkerJob(
            request: request, route: route,
            work: { request, timing in
                try pipeline.run(request, pool: pool, maxBodyBytes: maxBodyBytes, metrics: metrics, timing: &timing)
            },
            logger: logger, metrics: metrics, statistics: route == .infer ? inferenceStatistics : nil,
            submitted: DispatchTime.now().uptimeNanoseconds, respond: respond)
        if pipeline.requestCoding == nil && job.request.body.count <= Self.maxBodyBytesRunInPlace && pool.runHereIfIdle({ job.run() })
        {
            return
        }
        if pool.submit({ job.run() }) == .rejected {
            respond(ProblemRenderer.response(
                for: ServiceError.unavailable("All \(pool.maxQueue) queue slots are taken; retry shortly."), path: path,
                logger: logger))
        }
    }

    fileprivate func observed(_ head: HTTPRequestHead, route: Route, bodyBytes: Int) -> RequestObserver.Exchange {
        observer.begin(head, route: route, bodyBytes: bodyBytes)
    }

    /// The answer `make` gives, or its error rendered.
    fileprivate func answering(path: Substring, _ make: () throws -> HTTPResponse) -> HTTPResponse {
        do {
            return try make()
        } catch {
            return ProblemRenderer.response(for: error, path: path, logger: logger)
        }
    }

    fileprivate func finish(_ exchange: RequestObserver.Exchange, _ response: HTTPResponse) -> HTTPResponse {
        observer.finish(exchange, response)
    }

    private func problem(_ error: any Error, head: HTTPRequestHead, route: Route?) -> HTTPResponse {
        observer.finish(
            observer.begin(head, route: route, bodyBytes: 0), ProblemRenderer.response(for: error, path: head.path, logger: logger))
    }

    /// The route of a request that never reached `prepare` (a transport error, a drain), for metrics and logs:
    /// matched here, once, by path alone.
    private static func unpreparedRoute(_ head: HTTPRequestHead?) -> Route? {
        head.flatMap { head in try? Route.match(head.path) }
    }

    package func errorResponse(for error: HTTPRequestError, head: HTTPRequestHead?) -> HTTPResponse {
        observer.finish(
            observer.begin(head, route: Self.unpreparedRoute(head), bodyBytes: 0),
            ProblemRenderer.response(for: error, path: head?.path, logger: logger))
    }

    package func exchangeFinished(_ record: ExchangeRecord, timing: ExchangeTiming) {
        observer.exchangeFinished(record, timing: timing)
    }

    package func drainingResponse(head: HTTPRequestHead) -> HTTPResponse {
        observer.finish(
            observer.begin(head, route: Self.unpreparedRoute(head), bodyBytes: 0),
            ProblemRenderer.response(
                for: ServiceError.unavailable("The server is shutting down; send this request again elsewhere."), path: head.path,
                logger: logger))
    }

    /// The liveness answer, made once: probes call it often.
    private static let healthzResponse = statusResponse(200, "ok")

    fileprivate static func statusResponse(_ status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "application/json", body: Array("{\"status\":\"\(text)\"}".utf8))
    }
}

/// A request routed from its head: its route and what answering it takes, decided once.
struct RoutedExchange: PreparedExchange {
    enum Action: Sendable {
        /// An answer made on the spot from what the head named (a shared-memory region's status).
        case immediate(@Sendable (ServiceHandler) throws -> HTTPResponse)
        /// An answer made on the spot from a small body (a shared-memory registration).
        case withBody(@Sendable (HTTPRequest) throws -> HTTPResponse)
        /// Inflate, decode, compute and encode a tensor, on a worker unless it is small.
        case tensorWork(TensorPipeline)
    }

    let route: Route
    let action: Action
    let service: ServiceHandler

    func handle(_ request: consuming HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void) {
        let exchange = service.observed(request.head, route: route, bodyBytes: request.body.count)
        let service = self.service
        switch action {
        case .immediate(let answer):
            respond(service.finish(exchange, service.answering(path: request.head.path) { try answer(service) }))
        case .withBody(let answer):
            let request = copy request
            respond(service.finish(exchange, service.answering(path: request.head.path) { try answer(request) }))
        case .tensorWork(let pipeline):
            service.runTensorWork(request, route: route, pipeline: pipeline) { response in
                respond(service.finish(exchange, response))
            }
        }
    }
}

/// A request answered from the service's state (planned `.fromState`).
struct StateAnswerExchange: PreparedExchange {
    let route: Route
    let service: ServiceHandler

    func handle(_ request: consuming HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void) {
        let exchange = service.observed(request.head, route: route, bodyBytes: request.body.count)
        let (service, route) = (self.service, self.route)
        respond(service.finish(exchange, service.answering(path: request.head.path) { try service.stateAnswer(for: route) }))
    }
}

/// One request's tensor work, carried to a worker thread, timed for the queue-wait and compute histograms.
private struct WorkerJob: Sendable {
    let request: HTTPRequest
    let route: Route
    let work: @Sendable (HTTPRequest, inout PipelineTiming) throws -> HTTPResponse
    let logger: Logger
    let metrics: ServiceMetrics
    /// Where the model's inferences are counted (KServe infer only), for Triton's statistics extension.
    let statistics: InferenceStatistics?
    /// Monotonic nanoseconds when the job was handed to the pool.
    let submitted: UInt64
    let respond: @Sendable (HTTPResponse) -> Void

    func run() {
        // Its client has gone (the connection closed while the job waited): nothing to compute for.
        if request.budget?.isEnded == true {
            respond(ProblemRenderer.response(
                for: ServiceError.unavailable("The client closed the connection."), path: request.head.path, logger: logger))
            return
        }
        let started = DispatchTime.now().uptimeNanoseconds
        let response: HTTPResponse
        var timing = PipelineTiming()
        var succeeded = false
        do {
            response = try work(request, &timing)
            succeeded = true
        } catch {
            response = ProblemRenderer.response(for: error, path: request.head.path, logger: logger)
        }
        let finished = DispatchTime.now().uptimeNanoseconds
        metrics.recordJob(route: route, waitedNanoseconds: started &- submitted, ranNanoseconds: finished &- started)
        if succeeded {
            statistics?.recordSuccess(queue: started &- submitted, stages: timing)
        } else {
            statistics?.recordFailure(nanoseconds: finished &- submitted)
        }
        respond(response)
    }
}
