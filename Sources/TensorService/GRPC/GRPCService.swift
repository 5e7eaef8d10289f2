import Dispatch
import TensorCodecs
import TensorHTTP

/// `inference.GRPCInferenceService` and `grpc.health.v1.Health`: which method a call's `:path` names, and the call
/// that answers it. A method not served is UNIMPLEMENTED, as gRPC servers answer.
enum GRPCService {
    static let inferenceService = "inference.GRPCInferenceService"
    static let healthService = "grpc.health.v1.Health"

    static func decide(_ head: HTTPRequestHead, service: ServiceHandler) -> GRPCCallDecision {
        let path = head.path
        let context = GRPCCallContext(head: head, service: service)
        guard let deadline = GRPCTimeout.deadline(head.headers["grpc-timeout"], now: context.started) else {
            return .reject(GRPCStatus(.invalidArgument, "grpc-timeout is malformed; it is up to 8 digits and one of H M S m u n"))
        }
        if path.hasPrefix("/\(healthService)/") {
            switch path.dropFirst(healthService.count + 2) {
            case "Check": return .call(UnaryCall(context: context) { message in try healthCheck(message, service: service) })
            case "Watch": return .call(HealthWatchCall(context: context))
            default: return .reject(unimplemented(path))
            }
        }
        guard path.hasPrefix("/\(inferenceService)/") else { return .reject(unimplemented(path)) }
        let method = path.dropFirst(inferenceService.count + 2)
        switch method {
        case "ModelInfer":
            return .call(InferCall(context: context, isStream: false, deadline: deadline))
        case "ModelStreamInfer":
            return .call(InferCall(context: context, isStream: true, deadline: deadline))
        case "ServerLive":
            return .call(UnaryCall(context: context) { _ in GRPCMessages.flag(true) })
        case "ServerReady":
            return .call(UnaryCall(context: context) { _ in GRPCMessages.flag(!service.isDraining) })
        case "ModelReady":
            return .call(UnaryCall(context: context) { message in
                let (name, version) = try GRPCMessages.nameAndVersion(message)
                return GRPCMessages.flag(isServedModel(name, version) && !service.isDraining)
            })
        case "ServerMetadata":
            let extensions = KServeEndpoint.extensions + (service.sharedMemory != nil ? ["system_shared_memory"] : [])
            return .call(UnaryCall(context: context) { _ in GRPCMessages.serverMetadata(extensions: extensions) })
        case "ModelMetadata":
            return .call(UnaryCall(context: context) { message in
                try requireModel(message)
                return GRPCMessages.modelMetadata()
            })
        case "ModelConfig":
            let instances = service.pool.threadCount
            return .call(UnaryCall(context: context) { message in
                try requireModel(message)
                return GRPCMessages.modelConfig(instances: instances)
            })
        case "ModelStatistics":
            return .call(UnaryCall(context: context) { message in
                let (name, version) = try GRPCMessages.nameAndVersion(message)
                // An empty name asks for every model: this one.
                if !name.isEmpty || !version.isEmpty { try requireModel(message) }
                return service.inferenceStatistics.protobuf(modelName: Route.modelName, version: Route.modelVersion)
            })
        case "RepositoryIndex":
            return .call(UnaryCall(context: context) { _ in GRPCMessages.repositoryIndex(isReady: !service.isDraining) })
        case "SystemSharedMemoryStatus", "SystemSharedMemoryRegister", "SystemSharedMemoryUnregister":
            guard let registry = service.sharedMemory else {
                return .reject(GRPCStatus(
                    .unimplemented, "the system shared-memory extension is disabled; start the server with --shared-memory system"))
            }
            return .call(UnaryCall(context: context) { message in try sharedMemory(String(method), message, registry: registry) })
        default:
            return .reject(unimplemented(path))
        }
    }

    private static func unimplemented(_ path: Substring) -> GRPCStatus {
        GRPCStatus(.unimplemented, "\(path.prefix(200)) is not a method this server serves")
    }

    static func isServedModel(_ name: String, _ version: String) -> Bool {
        name == Route.modelName && (version.isEmpty || version == Route.modelVersion)
    }

    private static func requireModel(_ message: UnsafeRawBufferPointer) throws -> Void {
        let (name, version) = try GRPCMessages.nameAndVersion(message)
        try requireModel(name: name, version: version)
    }

    static func requireModel(name: String, version: String) throws(GRPCStatus) {
        guard name == Route.modelName else {
            throw GRPCStatus(.notFound, "model \"\(name.prefix(64))\" is not served here; the model is \"\(Route.modelName)\"")
        }
        guard version.isEmpty || version == Route.modelVersion else {
            throw GRPCStatus(.notFound, "version \"\(version.prefix(16))\" of \(Route.modelName) is not served here; the version is \"\(Route.modelVersion)\"")
        }
    }

    private static func healthCheck(_ message: UnsafeRawBufferPointer, service: ServiceHandler) throws -> [UInt8] {
        let name = try GRPCMessages.healthService(message)
        guard name.isEmpty || name == inferenceService else {
            throw GRPCStatus(.notFound, "unknown service \"\(name.prefix(64))\"; this server serves \"\" and \"\(inferenceService)\"")
        }
        return GRPCMessages.health(serving: !service.isDraining)
    }

    private static func sharedMemory(_ method: String, _ message: UnsafeRawBufferPointer, registry: SharedMemoryRegistry) throws -> [UInt8] {
        switch method {
        case "SystemSharedMemoryRegister":
            let (name, key, offset, byteSize) = try GRPCMessages.registration(message)
            try SharedMemoryRegistry.checkName(name)
            try registry.register(name: name, key: key, offset: offset, byteSize: byteSize)
            return []
        case "SystemSharedMemoryUnregister":
            let name = try GRPCMessages.nameAndVersion(message).name
            registry.unregister(name.isEmpty ? nil : name)
            return []
        default:
            let name = try GRPCMessages.nameAndVersion(message).name
            return GRPCMessages.sharedMemoryStatus(try registry.statuses(name.isEmpty ? nil : name))
        }
    }
}

/// `grpc-timeout`: at most 8 digits and a unit (gRPC over HTTP/2). A call past it is DEADLINE_EXCEEDED.
enum GRPCTimeout {
    /// The deadline in monotonic nanoseconds: `.some(nil)` without a header, nil for a malformed one.
    static func deadline(_ header: String?, now: UInt64) -> UInt64?? {
        guard let header else { return .some(nil) }
        let bytes = Array(header.utf8)
        guard bytes.count >= 2, bytes.count <= 9, let unit = bytes.last,
            let amount = UInt64(String(decoding: bytes.dropLast(), as: UTF8.self))
        else { return nil }
        let nanosecondsPerUnit: UInt64
        switch unit {
        case UInt8(ascii: "H"): nanosecondsPerUnit = 3_600_000_000_000
        case UInt8(ascii: "M"): nanosecondsPerUnit = 60_000_000_000
        case UInt8(ascii: "S"): nanosecondsPerUnit = 1_000_000_000
        case UInt8(ascii: "m"): nanosecondsPerUnit = 1_000_000
        case UInt8(ascii: "u"): nanosecondsPerUnit = 1_000
        case UInt8(ascii: "n"): nanosecondsPerUnit = 1
        default: return nil
        }
        let (span, overflow) = amount.multipliedReportingOverflow(by: nanosecondsPerUnit)
        return .some(overflow ? UInt64.max : now &+ min(span, UInt64.max - now))
    }
}
