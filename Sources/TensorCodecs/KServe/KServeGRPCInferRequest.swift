import TensorKernels
import TensorMemory

/// `inference.ModelInferRequest` (Triton's `grpc_service.proto`) read into the same `KServeInferRequest` that the
/// REST decoder makes, so that both protocols answer alike.
///
/// A tensor in `raw_input_contents` stays where it is in the message (`InputData.binary` is its range there) and is
/// computed in place; FP32 and FP64 in the typed `contents` are read into an array of their own, admitted through
/// `admit` first. Every size is checked against the others before anything is allocated.
public enum KServeGRPCInferRequest {
    /// What the request names besides the tensor: the model and version it is for (checked by the caller).
    public struct Decoded {
        public var modelName: String
        public var modelVersion: String
        public var request: KServeInferRequest
    }

    // Field numbers of grpc_service.proto.
    private enum Field {
        static let modelName = 1, modelVersion = 2, id = 3, parameters = 4, inputs = 5, outputs = 6, rawInputContents = 7
    }

    public static func decode(_ message: UnsafeRawBufferPointer, admit: MemoryAdmission = admitAnything) throws(CodecError) -> Decoded {
        var reader = ProtoReader(message)
        var modelName = "", modelVersion = "", id = ""
        var slope: Double?
        var inputs: [Range<Int>] = []
        var outputs: [KServeInferRequest.RequestedOutput] = []
        var raw: [Range<Int>] = []
        while let field = try reader.next() {
            switch field.number {
            case Field.modelName: modelName = try reader.string(field)
            case Field.modelVersion: modelVersion = try reader.string(field)
            case Field.id: id = try reader.string(field)
            case Field.parameters:
                let (key, value) = try parameter(reader, field)
                if key == "negative_slope" {
                    // A decimal string too: the KServe SDK's gRPC client sends only bool, int64 and string parameters.
                    guard let number = value.number ?? value.string.flatMap(Double.init), number.isFinite else {
                        throw .malformed("parameters[negative_slope] must be a finite double, int64 or decimal string")
                    }
                    slope = number
                }
            case Field.inputs: inputs.append(try lengthDelimited(field))
            case Field.outputs: outputs.append(try output(reader, field, index: outputs.count))
            case Field.rawInputContents: raw.append(try lengthDelimited(field))
            default: continue  // unknown fields are skipped, as protobuf's own readers do
            }
        }
        guard inputs.count == 1 else {
            throw .malformed("inputs has \(inputs.count) tensors; the model takes one, \"\(KServeInferRequestDecoder.inputName)\"")
        }
        let request = try input(reader, inputs[0], raw: raw, message: message, admit: admit)
        return Decoded(
            modelName: modelName, modelVersion: modelVersion,
            request: KServeInferRequest(
                id: id.isEmpty ? nil : id, negativeSlope: slope, binaryDataOutput: true, inputName: request.name,
                dtype: request.dtype, shape: request.shape, data: request.data, outputs: outputs.isEmpty ? nil : outputs))
    }

    private static func lengthDelimited(_ field: ProtoReader.Field) throws(CodecError) -> Range<Int> {
        guard field.wireType == .lengthDelimited else { throw .malformed("protobuf: field \(field.number) is not a message") }
        return field.range
    }

    /// One `InferInputTensor`: name 1, datatype 2, shape 3, parameters 4, contents 5.
    private static func input(
        _ outer: ProtoReader, _ range: Range<Int>, raw: [Range<Int>], message: UnsafeRawBufferPointer, admit: MemoryAdmission
    ) throws(CodecError) -> (name: String, dtype: DType, shape: [Int], data: KServeInferRequest.InputData) {
        var reader = ProtoReader(outer.bytes, range: range)
        var name = "", datatype = ""
        var shape: [Int64] = []
        var sharedMemory = SharedMemoryParameters()
        var contents: Range<Int>?
        while let field = try reader.next() {
            switch field.number {
            case 1: name = try reader.string(field)
            case 2: datatype = try reader.string(field)
            case 3: try reader.appendInt64s(field, to: &shape)
            case 4:
                let (key, value) = try parameter(reader, field)
                try sharedMemory.read(key, value, owner: "inputs[0]")
            case 5: contents = try lengthDelimited(field)
            default: continue
            }
        }
        guard name == KServeInferRequestDecoder.inputName else {
            throw .malformed("inputs[0]: unknown input \"\(name.prefix(64))\"; the model's input is \"\(KServeInferRequestDecoder.inputName)\"")
        }
        let dtype = try KServeDatatype.dtype(named: datatype)
        guard shape.allSatisfy({ $0 >= 0 && $0 <= Int64(Int.max) }) else { throw .malformed("inputs[0]: shape \(shape) has a negative size") }
        let dimensions = shape.map { Int($0) }
        let count = try TensorShape.elementCount(dimensions)
        let byteCount = try TensorShape.byteCount(elements: count, itemSize: dtype.itemSize)
        if let reference = try sharedMemory.reference(owner: "inputs[0]") {
            guard raw.isEmpty && contents == nil else {
                throw .malformed("inputs[0] has shared_memory_region and also contents or raw_input_contents; send one")
            }
            guard reference.byteSize == byteCount else {
                throw .malformed("inputs[0]: shared_memory_byte_size \(reference.byteSize) does not match shape \(dimensions) of \(datatype) (\(byteCount) bytes)")
            }
            return (name, dtype, dimensions, .sharedMemory(reference))
        }
        if let contents {
            guard raw.isEmpty else { throw .malformed("inputs[0] has both contents and raw_input_contents; send one") }
            return (name, dtype, dimensions, .json(try typedContents(outer, contents, dtype: dtype, count: count, admit: admit)))
        }
        guard raw.count == 1 else {
            throw .malformed("raw_input_contents has \(raw.count) entries; the request's one input needs exactly one")
        }
        guard raw[0].count == byteCount else {
            throw .malformed("raw_input_contents[0] is \(raw[0].count) bytes; shape \(dimensions) of \(datatype) is \(byteCount)")
        }
        return (name, dtype, dimensions, .binary(raw[0]))
    }

    /// `InferTensorContents`: fp32_contents 6 or fp64_contents 7, packed or not, into little-endian bytes.
    private static func typedContents(
        _ outer: ProtoReader, _ range: Range<Int>, dtype: DType, count: Int, admit: MemoryAdmission
    ) throws(CodecError) -> [UInt8] {
        let (wanted, width): (Int, Int)
        switch dtype {
        case .float32: (wanted, width) = (6, 4)
        case .float64: (wanted, width) = (7, 8)
        case .float16, .bfloat16:
            throw .malformed("inputs[0]: \(KServeDatatype.name(of: dtype)) travels in raw_input_contents; contents has no field for it")
        }
        // Each value takes at least its width in the message, so more than the message holds is malformed, found
        // before the array is admitted and allocated at its final size.
        guard count * width <= range.count else {
            throw .malformed("inputs[0].contents has too few values: the shape needs \(count)")
        }
        try CodecError.admitting(count * width, for: "the tensor in contents", admit)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count * width)
        var reader = ProtoReader(outer.bytes, range: range)
        while let field = try reader.next() {
            if field.number != wanted {
                let name = ["bool", "int", "int64", "uint", "uint64", "fp32", "fp64", "bytes"][min(max(field.number, 1), 8) - 1]
                throw .malformed("inputs[0].contents has \(name)_contents; a \(KServeDatatype.name(of: dtype)) input needs \(width == 4 ? "fp32" : "fp64")_contents")
            }
            switch field.wireType {
            case .lengthDelimited:
                guard field.range.count % width == 0 else {
                    throw .malformed("inputs[0].contents: \(field.range.count) bytes are not whole \(width * 8)-bit values")
                }
                guard bytes.count + field.range.count <= count * width else {
                    throw .malformed("inputs[0].contents has more values than the shape's \(count)")
                }
                bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: outer.bytes[field.range]))
            case .fixed32 where width == 4, .fixed64 where width == 8:
                guard bytes.count < count * width else { throw .malformed("inputs[0].contents has more values than the shape's \(count)") }
                var bits = field.scalar
                for _ in 0..<width {
                    bytes.append(UInt8(truncatingIfNeeded: bits))
                    bits >>= 8
                }
            default:
                throw .malformed("inputs[0].contents: a value has the wrong wire type")
            }
        }
        guard bytes.count == count * width else {
            throw .malformed("inputs[0].contents has \(bytes.count / width) values; the shape needs \(count)")
        }
        return bytes
    }

    /// One `InferRequestedOutputTensor`: name 1, parameters 2.
    private static func output(
        _ outer: ProtoReader, _ field: ProtoReader.Field, index: Int
    ) throws(CodecError) -> KServeInferRequest.RequestedOutput {
        var reader = ProtoReader(outer.bytes, range: try lengthDelimited(field))
        var name = ""
        var sharedMemory = SharedMemoryParameters()
        let owner = "outputs[\(index)]"
        while let field = try reader.next() {
            switch field.number {
            case 1: name = try reader.string(field)
            case 2:
                let (key, value) = try parameter(reader, field)
                try sharedMemory.read(key, value, owner: owner)
            default: continue
            }
        }
        guard name == KServeInferRequestDecoder.outputName else {
            throw .malformed("\(owner): unknown output \"\(name.prefix(64))\"; the model's only output is \"\(KServeInferRequestDecoder.outputName)\"")
        }
        return KServeInferRequest.RequestedOutput(name: name, binaryData: true, sharedMemory: try sharedMemory.reference(owner: owner))
    }

    /// An `InferParameter` value: bool 1, int64 2, string 3, double 4, uint64 5.
    struct ParameterValue {
        var int: Int64?
        var double: Double?
        var string: String?

        var number: Double? { double ?? int.map(Double.init) }
    }

    /// One entry of a `map<string, InferParameter>`: key 1, value 2.
    private static func parameter(_ outer: ProtoReader, _ field: ProtoReader.Field) throws(CodecError) -> (String, ParameterValue) {
        var entry = ProtoReader(outer.bytes, range: try lengthDelimited(field))
        var key = ""
        var value = ParameterValue()
        while let part = try entry.next() {
            switch part.number {
            case 1: key = try entry.string(part)
            case 2:
                var inner = ProtoReader(outer.bytes, range: try lengthDelimited(part))
                while let choice = try inner.next() {
                    switch choice.number {
                    case 2, 5: value.int = Int64(bitPattern: choice.scalar)
                    case 3: value.string = try inner.string(choice)
                    case 4 where choice.wireType == .fixed64: value.double = Double(bitPattern: choice.scalar)
                    default: continue
                    }
                }
            default: continue
            }
        }
        return (key, value)
    }

    /// `shared_memory_region`, `shared_memory_offset`, `shared_memory_byte_size` as tritonclient sends them.
    private struct SharedMemoryParameters {
        var region: String?
        var offset: Int?
        var byteSize: Int?

        mutating func read(_ key: String, _ value: ParameterValue, owner: String) throws(CodecError) {
            switch key {
            case "shared_memory_region":
                guard let text = value.string else { throw .malformed("\(owner): shared_memory_region must be a string") }
                region = text
            case "shared_memory_offset": offset = try nonNegative(value, "\(owner): shared_memory_offset")
            case "shared_memory_byte_size": byteSize = try nonNegative(value, "\(owner): shared_memory_byte_size")
            default: return
            }
        }

        private func nonNegative(_ value: ParameterValue, _ what: String) throws(CodecError) -> Int {
            guard let number = value.int, number >= 0, number <= Int64(Int.max) else { throw .malformed("\(what) must be a non-negative integer") }
            return Int(number)
        }

        func reference(owner: String) throws(CodecError) -> KServeInferRequest.SharedMemoryReference? {
            guard let region else {
                if offset != nil || byteSize != nil {
                    throw .malformed("\(owner): shared_memory_offset and shared_memory_byte_size need shared_memory_region")
                }
                return nil
            }
            guard let byteSize else { throw .malformed("\(owner): shared_memory_region needs shared_memory_byte_size") }
            return KServeInferRequest.SharedMemoryReference(region: region, offset: offset ?? 0, byteSize: byteSize)
        }
    }
}
