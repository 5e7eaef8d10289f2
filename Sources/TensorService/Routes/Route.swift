/// The resources the service answers, with their allowed methods; the route label names them in logs and metrics.
package enum Route: String, CaseIterable, Sendable {
    case leakyReLU = "/ops/leaky_relu"
    case healthz = "/healthz"
    case readyz = "/readyz"
    case openAPI = "/openapi.yaml"

    package var allowedMethods: [String] {
        switch self {
        case .leakyReLU: ["POST"]
        case .healthz, .readyz, .openAPI: ["GET"]
        }
    }

    package init?(path: Substring) {
        guard let route = Route(rawValue: String(path)) else { return nil }
        self = route
    }

    /// The route for a request, or the 404/405 to answer instead.
    package static func resolve(method: String, path: Substring) throws(ServiceError) -> Route {
        guard let route = Route(path: path) else { throw .notFound(path) }
        guard route.allowedMethods.contains(method) else {
            throw .methodNotAllowed(method, allowed: route.allowedMethods)
        }
        return route
    }
}
