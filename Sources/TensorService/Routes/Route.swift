/// The resources the service answers, with their allowed methods. The raw value is the route's template, which
/// names it in logs and metrics (never the raw path, whose variety is unbounded).
package enum Route: String, CaseIterable, Sendable {
    case leakyReLU = "/ops/leaky_relu"
    case healthz = "/healthz"
    case readyz = "/readyz"
    case openAPI = "/openapi.yaml"
    case metrics = "/metrics"
    case serverMetadata = "/v2"
    case serverLive = "/v2/health/live"
    case serverReady = "/v2/health/ready"
    case modelMetadata = "/v2/models/{model}[/versions/{version}]"
    case modelReady = "/v2/models/{model}[/versions/{version}]/ready"
    case infer = "/v2/models/{model}[/versions/{version}]/infer"
    case modelConfig = "/v2/models/{model}[/versions/{version}]/config"
    case modelStatistics = "/v2/models/{model}[/versions/{version}]/stats"
    case allModelStatistics = "/v2/models/stats"
    case sharedMemoryStatus = "/v2/systemsharedmemory[/region/{name}]/status"
    case sharedMemoryRegister = "/v2/systemsharedmemory/region/{name}/register"
    case sharedMemoryUnregister = "/v2/systemsharedmemory[/region/{name}]/unregister"
    /// KServe V1 (the KServe SDK's default protocol) and TF Serving's REST API.
    case v1Root = "/"
    case v1Models = "/v1/models"
    case v1ModelStatus = "/v1/models/{model}"
    case v1ModelMetadata = "/v1/models/{model}/metadata"
    case v1Predict = "/v1/models/{model}:predict"

    /// The one model this service serves, and its one version.
    package static let modelName = "leaky_relu"
    package static let modelVersion = "1"

    /// RFC 9110 §9.3.2: HEAD is allowed wherever GET is, and answered with the GET's head (the connection drops the
    /// body).
    package var allowedMethods: [String] {
        switch self {
        case .leakyReLU, .infer, .sharedMemoryRegister, .sharedMemoryUnregister, .v1Predict: ["POST"]
        default: ["GET", "HEAD"]
        }
    }

    /// What a request's method and path resolve to: a route, or the 404/405 to answer (with the route a 405 names,
    /// which metrics and logs keep).
    package enum Resolution: Sendable {
        case route(Route)
        case refused(ServiceError, route: Route?)
    }

    /// The one place a request's route is decided.
    package static func resolve(method: String, path: Substring) -> Resolution {
        let matched: Route?
        do {
            matched = try match(path)
        } catch {
            return .refused(error, route: nil)
        }
        guard let route = matched else { return .refused(.notFound(path), route: nil) }
        guard route.allowedMethods.contains(method) else {
            return .refused(.methodNotAllowed(method, allowed: route.allowedMethods), route: route)
        }
        return .route(route)
    }

    /// The route for a path whatever the method; nil when none, a 404 error for an unknown model.
    package static func match(_ path: Substring) throws(ServiceError) -> Route? {
        switch path {
        case "/ops/leaky_relu": return .leakyReLU
        case "/healthz": return .healthz
        case "/readyz": return .readyz
        case "/openapi.yaml": return .openAPI
        case "/metrics": return .metrics
        case "/v2": return .serverMetadata
        case "/v2/health/live": return .serverLive
        case "/v2/health/ready": return .serverReady
        case "/v2/models/stats": return .allModelStatistics
        case "/": return .v1Root
        case "/v1/models": return .v1Models
        default: break
        }
        if path.hasPrefix("/v1/models/") { return try v1Route(path.dropFirst("/v1/models/".count)) }
        var parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        if parts.starts(with: ["v2", "systemsharedmemory"]) { return sharedMemoryRoute(Array(parts.dropFirst(2))) }
        guard parts.count >= 3, parts.removeFirst() == "v2", parts.removeFirst() == "models" else { return nil }
        let model = parts.removeFirst()
        guard model == modelName else { throw .unknownModel("model \"\(model.prefix(64))\" is not served here; the model is \"\(modelName)\"") }
        if parts.first == "versions" {
            parts.removeFirst()
            guard let version = parts.first else { return nil }
            parts.removeFirst()
            guard version == modelVersion else {
                throw .unknownModel("version \"\(version.prefix(16))\" of \(modelName) is not served here; the version is \"\(modelVersion)\"")
            }
        }
        switch Array(parts) {
        case []: return .modelMetadata
        case ["ready"]: return .modelReady
        case ["infer"]: return .infer
        case ["config"]: return .modelConfig
        case ["stats"]: return .modelStatistics
        default: return nil
        }
    }

    /// `{model}`, `{model}/metadata` or `{model}:predict` after `/v1/models/`.
    private static func v1Route(_ rest: Substring) throws(ServiceError) -> Route? {
        let (model, route): (Substring, Route)
        if rest.hasSuffix(":predict") {
            (model, route) = (rest.dropLast(":predict".count), .v1Predict)
        } else if rest.hasSuffix("/metadata") {
            (model, route) = (rest.dropLast("/metadata".count), .v1ModelMetadata)
        } else {
            (model, route) = (rest, .v1ModelStatus)
        }
        guard !model.isEmpty, !model.contains("/") else { return nil }
        guard model == modelName else { throw .unknownModel("model \"\(model.prefix(64))\" is not served here; the model is \"\(modelName)\"") }
        return route
    }

    /// `/v2/systemsharedmemory` followed by `status`, `unregister`, or `region/{name}/` and one of `status`,
    /// `register`, `unregister`.
    private static func sharedMemoryRoute(_ parts: [Substring]) -> Route? {
        switch parts.count {
        case 1 where parts[0] == "status": .sharedMemoryStatus
        case 1 where parts[0] == "unregister": .sharedMemoryUnregister
        case 3 where parts[0] == "region" && !parts[1].isEmpty:
            switch parts[2] {
            case "status": .sharedMemoryStatus
            case "register": .sharedMemoryRegister
            case "unregister": .sharedMemoryUnregister
            default: nil
            }
        default: nil
        }
    }

    /// The `{name}` of a shared-memory route's path, nil for the routes about every region.
    package static func sharedMemoryRegionName(_ path: Substring) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[3] == "region" else { return nil }
        return String(parts[4])
    }
}
