import TensorCodecs
import TensorKernels

/// The small messages of `inference.GRPCInferenceService` and `grpc.health.v1.Health`, read and written with the
/// same protobuf codec as ModelInfer (field numbers from Triton's `grpc_service.proto` and `model_config.proto`).
enum GRPCMessages {
    /// A request that names a model: `name` 1 and `version` 2 (ModelReady, ModelMetadata, ModelConfig,
    /// ModelStatistics); for the shared-memory requests, `name` 1 is the region.
    static func nameAndVersion(_ message: UnsafeRawBufferPointer) throws(CodecError) -> (name: String, version: String) {
        var reader = ProtoReader(message)
        var name = "", version = ""
        while let field = try reader.next() {
            switch field.number {
            case 1: name = try reader.string(field)
            case 2: version = try reader.string(field)
            default: continue
            }
        }
        return (name, version)
    }

    static func flag(_ value: Bool) -> [UInt8] {
        var writer = ProtoWriter(capacity: 2)
        writer.bool(1, value)
        return writer.bytes
    }

    static func serverMetadata(extensions: [String]) -> [UInt8] {
        var writer = ProtoWriter()
        writer.string(1, "tensor-service")
        writer.string(2, ServiceVersion.current)
        for name in extensions { writer.string(3, name, always: true) }
        return writer.bytes
    }

    /// One input and one output of dynamic shape; FP32 is listed, FP16, BF16 and FP64 are accepted too.
    static func modelMetadata() -> [UInt8] {
        var writer = ProtoWriter()
        writer.string(1, Route.modelName)
        writer.string(2, Route.modelVersion, always: true)
        writer.string(3, "tensor-service")
        for (field, name) in [(4, KServeInferRequestDecoder.inputName), (5, KServeInferRequestDecoder.outputName)] {
            writer.message(field) { tensor in
                tensor.string(1, name)
                tensor.string(2, "FP32")
                tensor.packedInt64s(3, [-1])
            }
        }
        return writer.bytes
    }

    /// `ModelConfigResponse { config: ModelConfig }`: no batching (`max_batch_size` 0), `TYPE_FP32` (11), dims [-1].
    static func modelConfig(instances: Int) -> [UInt8] {
        var writer = ProtoWriter()
        writer.message(1) { config in
            config.string(1, Route.modelName)
            // ModelInput: name 1, data_type 2, dims 4; ModelOutput: name 1, data_type 2, dims 3.
            config.message(5) { input in
                input.string(1, KServeInferRequestDecoder.inputName)
                input.uint64(2, 11)
                input.packedInt64s(4, [-1])
            }
            config.message(6) { output in
                output.string(1, KServeInferRequestDecoder.outputName)
                output.uint64(2, 11)
                output.packedInt64s(3, [-1])
            }
            // instance_group 7: ModelInstanceGroup { name 1, count 2, kind 4 (KIND_CPU = 2) }.
            config.message(7) { group in
                group.string(1, Route.modelName)
                group.uint64(2, UInt64(instances))
                group.uint64(4, 2)
            }
            config.string(17, "tensor-service")
        }
        return writer.bytes
    }

    /// `RepositoryIndexResponse`: the one model, READY.
    static func repositoryIndex(isReady: Bool) -> [UInt8] {
        var writer = ProtoWriter()
        writer.message(1) { model in
            model.string(1, Route.modelName)
            model.string(2, Route.modelVersion)
            model.string(3, isReady ? "READY" : "UNAVAILABLE")
        }
        return writer.bytes
    }

    /// `grpc.health.v1.HealthCheckResponse { status }`: SERVING 1, NOT_SERVING 2.
    static func health(serving: Bool) -> [UInt8] {
        var writer = ProtoWriter(capacity: 2)
        writer.uint64(1, serving ? 1 : 2)
        return writer.bytes
    }

    /// `grpc.health.v1.HealthCheckRequest { service }`.
    static func healthService(_ message: UnsafeRawBufferPointer) throws(CodecError) -> String {
        try nameAndVersion(message).name
    }

    /// `SystemSharedMemoryRegisterRequest`: name 1, key 2, offset 3, byte_size 4.
    static func registration(_ message: UnsafeRawBufferPointer) throws(CodecError) -> (name: String, key: String, offset: Int, byteSize: Int) {
        var reader = ProtoReader(message)
        var name = "", key = ""
        var offset = 0, byteSize = 0
        while let field = try reader.next() {
            switch field.number {
            case 1: name = try reader.string(field)
            case 2: key = try reader.string(field)
            case 3, 4:
                guard field.wireType == .varint, field.scalar <= UInt64(Int.max) else {
                    throw CodecError(.malformed, "offset and byte_size are non-negative integers")
                }
                if field.number == 3 { offset = Int(field.scalar) } else { byteSize = Int(field.scalar) }
            default: continue
            }
        }
        return (name, key, offset, byteSize)
    }

    /// `SystemSharedMemoryStatusResponse { map<string, RegionStatus> regions }`.
    static func sharedMemoryStatus(_ regions: [(name: String, key: String, offset: Int, byteSize: Int)]) -> [UInt8] {
        var writer = ProtoWriter()
        for region in regions {
            writer.message(1) { entry in
                entry.string(1, region.name, always: true)
                entry.message(2) { status in
                    status.string(1, region.name)
                    status.string(2, region.key)
                    status.uint64(3, UInt64(region.offset))
                    status.uint64(4, UInt64(region.byteSize))
                }
            }
        }
        return writer.bytes
    }
}
