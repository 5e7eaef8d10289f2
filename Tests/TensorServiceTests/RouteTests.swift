import Testing
@testable import TensorService

@Suite struct RouteTests {
    @Test("Every route's own path resolves to it, with and without the model's version")
    func pathsResolve() throws {
        let cases: [(String, Route)] = [
            ("/ops/leaky_relu", .leakyReLU), ("/healthz", .healthz), ("/readyz", .readyz), ("/metrics", .metrics),
            ("/openapi.yaml", .openAPI), ("/v2", .serverMetadata), ("/v2/health/live", .serverLive),
            ("/v2/health/ready", .serverReady), ("/v2/models/leaky_relu", .modelMetadata),
            ("/v2/models/leaky_relu/versions/1", .modelMetadata), ("/v2/models/leaky_relu/ready", .modelReady),
            ("/v2/models/leaky_relu/versions/1/infer", .infer), ("/v2/models/leaky_relu/infer", .infer),
            ("/v2/models/leaky_relu/config", .modelConfig), ("/v2/models/leaky_relu/stats", .modelStatistics),
            ("/v2/models/stats", .allModelStatistics), ("/v2/systemsharedmemory/status", .sharedMemoryStatus),
            ("/v2/systemsharedmemory/region/a/status", .sharedMemoryStatus),
            ("/v2/systemsharedmemory/region/a/register", .sharedMemoryRegister),
            ("/v2/systemsharedmemory/unregister", .sharedMemoryUnregister),
            ("/v2/systemsharedmemory/region/a/unregister", .sharedMemoryUnregister),
            ("/", .v1Root), ("/v1/models", .v1Models), ("/v1/models/leaky_relu", .v1ModelStatus),
            ("/v1/models/leaky_relu/metadata", .v1ModelMetadata), ("/v1/models/leaky_relu:predict", .v1Predict),
        ]
        for (path, route) in cases { #expect(try Route.match(Substring(path)) == route, "\(path)") }
    }

    @Test("Unknown paths are nil (404); another model or version is its own 404 that names the served one")
    func unknownPathsAndModels() {
        for path in ["/ops", "/v2/models", "/v2/models/leaky_relu/versions", "/v2/models/leaky_relu/x",
                     "/v2/systemsharedmemory/region//status", "/v2/systemsharedmemory/region/a/b"] {
            #expect((try? Route.match(Substring(path))) == .some(nil), "\(path)")
        }
        #expect(throws: ServiceError.self) { try Route.match("/v2/models/resnet/infer") }
        #expect(throws: ServiceError.self) { try Route.match("/v2/models/leaky_relu/versions/2/infer") }
        #expect(throws: ServiceError.self) { try Route.match("/v1/models/resnet:predict") }
        #expect((try? Route.match("/v1/models/leaky_relu/x/y")) == .some(nil))
    }

    @Test("A known path with the wrong method is 405 naming what is allowed; HEAD goes wherever GET does")
    func methods() {
        guard case .refused(let error, let route) = Route.resolve(method: "GET", path: "/ops/leaky_relu") else {
            Issue.record("GET /ops/leaky_relu was not refused")
            return
        }
        #expect(error.status == 405 && route == .leakyReLU)
        #expect(error.headers.contains { $0.0 == "Allow" && $0.1 == "POST" })
        guard case .route(.healthz) = Route.resolve(method: "HEAD", path: "/healthz") else {
            Issue.record("HEAD /healthz was not routed")
            return
        }
        guard case .refused(let missing, nil) = Route.resolve(method: "GET", path: "/nowhere") else {
            Issue.record("GET /nowhere was not refused")
            return
        }
        #expect(missing.status == 404)
        #expect(Route.sharedMemoryRegionName("/v2/systemsharedmemory/region/abc/status") == "abc")
        #expect(Route.sharedMemoryRegionName("/v2/systemsharedmemory/status") == nil)
    }
}
