import TensorCodecs
import TensorHTTP

/// Triton's system shared-memory extension: register, unregister and status of regions, as `tritonclient.http`
/// calls them. Off (`--shared-memory off`), every route answers 404 saying the extension is disabled.
enum SharedMemoryEndpoint {
    /// Register bodies are a few fields; anything larger is not one.
    static let maxRegisterBodyBytes = 64 * 1024

    static func action(
        for route: Route, head: HTTPRequestHead, registry: SharedMemoryRegistry?
    ) throws(ServiceError) -> RoutedExchange.Action {
        guard let registry else {
            throw ServiceError(
                status: 404, problemType: "not-found",
                detail: "the system shared-memory extension is disabled; start the server with --shared-memory system")
        }
        let name = Route.sharedMemoryRegionName(head.path)
        if let name { try SharedMemoryRegistry.checkName(name) }
        switch route {
        case .sharedMemoryStatus:
            return .immediate { _ in KServeEndpoint.json(try registry.statusJSON(name)) }
        case .sharedMemoryUnregister:
            return .immediate { _ in
                registry.unregister(name)
                return HTTPResponse(status: 200, headers: [], body: [])
            }
        default:
            guard let name else { throw .notFound(head.path) }
            // Refused from the head, before a large body is read and held.
            guard head.declaredBodyBytes <= maxRegisterBodyBytes else {
                throw ServiceError(
                    status: 413, problemType: "body-too-large",
                    detail: "a register request is a JSON object of at most \(maxRegisterBodyBytes) bytes")
            }
            return .withBody { request in
                let (key, offset, byteSize) = try registration(request.body)
                try registry.register(name: name, key: key, offset: offset, byteSize: byteSize)
                return HTTPResponse(status: 200, headers: [], body: [])
            }
        }
    }

    /// `{"key": "/name", "offset": 0, "byte_size": 64}`; `offset` may be left out. Read by the codecs' JSON scanner,
    /// as every other body is.
    static func registration(_ body: ByteBuffer) throws(ServiceError) -> (key: String, offset: Int, byteSize: Int) {
        guard body.count <= maxRegisterBodyBytes else {
            throw SharedMemoryRegion.error("a register request is a small JSON object with key, offset and byte_size")
        }
        let request: SharedMemoryRegistrationRequest
        do {
            request = try SharedMemoryRegistrationRequest.decode(UnsafeRawBufferPointer(body.bytes))
        } catch where error.detail.hasPrefix("Shared memory register request has no") {
            throw SharedMemoryRegion.error(error.detail)  // Triton's own words for a missing field
        } catch {
            throw SharedMemoryRegion.error(
                "a register request is a JSON object with key (a string), offset and byte_size (non-negative integers): "
                    + error.detail)
        }
        guard request.offset >= 0, request.byteSize >= 0 else {
            throw SharedMemoryRegion.error("offset and byte_size of a register request are non-negative integers")
        }
        return (request.key, request.offset, request.byteSize)
    }
}
