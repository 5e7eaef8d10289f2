import TensorKernels
import TensorMemory

/// Reads an Open Inference Protocol infer request: a JSON header, then (with the binary tensor extension) the raw
/// tensor bytes, whose split is given by `Inference-Header-Content-Length`.
///
/// The service's one model takes exactly one input, `input`, and has one output, `output`.
public enum KServeInferRequestDecoder {
    public static let inputName = "input"
    public static let outputName = "output"

    /// Decodes `body`; `headerLength` is the value of `Inference-Header-Content-Length`, nil when the body is all JSON.
    /// `admit` is asked for a JSON input's decoded bytes before they are allocated. A large JSON `data` value is read
    /// in pieces on `parallel`'s threads, as the JSON tensor format's is.
    public static func decode(
        _ body: UnsafeRawBufferPointer, headerLength: Int?, admit: MemoryAdmission = admitAnything,
        parallel: ParallelPieces = .serial
    ) throws(CodecError) -> KServeInferRequest {
        let jsonLength = headerLength ?? body.count
        guard jsonLength >= 0, jsonLength <= body.count else {
            throw .malformed("Inference-Header-Content-Length \(jsonLength) is larger than the body (\(body.count) bytes)")
        }
        let json = UnsafeRawBufferPointer(rebasing: body[0..<jsonLength])
        var scanner = JSONScanner(json)
        var request = RawRequest()
        try scanner.forEachMember { key, _, scanner throws(CodecError) in
            switch key {
            case "id": request.id = try scanner.readString()
            case "parameters":
                try scanner.forEachMember { name, _, scanner throws(CodecError) in
                    switch name {
                    case "negative_slope":
                        let number = try scanner.readNumber()
                        let value = number.double(in: scanner.bytes)
                        guard value.isFinite else { throw .malformed("parameters.negative_slope must be a finite number") }
                        request.slope = value
                    case "binary_data_output": request.binaryDataOutput = try readBool(&scanner, "parameters.binary_data_output")
                    default: try scanner.skipValue()
                    }
                }
            case "inputs":
                try scanner.forEachElement { index, scanner throws(CodecError) in
                    guard index == 0 else { throw .malformed("inputs[\(index)]: the model takes one input, \"\(inputName)\"; a second was sent") }
                    request.input = try readInput(&scanner, markEvery: parallel.pieceBytes(forText: jsonLength))
                }
            case "outputs":
                var outputs: [KServeInferRequest.RequestedOutput] = []
                try scanner.forEachElement { index, scanner throws(CodecError) in
                    outputs.append(try readOutput(&scanner, index: index))
                }
                request.outputs = outputs
            default: try scanner.skipValue()
            }
        }
        scanner.skipWhitespace()
        guard scanner.isAtEnd else { throw scanner.error("unexpected \(scanner.describeCurrent()) after the JSON header") }
        return try assemble(request, body: body, jsonLength: jsonLength, admit: admit, parallel: parallel)
    }

    private struct RawInput {
        var name: String?
        var datatype: String?
        var shape: [Int]?
        var binarySize: Int?
        var data: (start: Int, structure: DataStructure)?
        var sharedMemory = RawSharedMemory()
    }

    /// The three shared-memory parameters as they arrive; checked together in `RawSharedMemory.reference`.
    private struct RawSharedMemory {
        var region: String?
        var offset: Int?
        var byteSize: Int?

        mutating func read(_ name: String, _ scanner: inout JSONScanner, owner: String) throws(CodecError) -> Bool {
            switch name {
            case "shared_memory_region": region = try scanner.readString()
            case "shared_memory_offset": offset = try scanner.readNonNegativeInteger("\(owner).parameters.shared_memory_offset")
            case "shared_memory_byte_size": byteSize = try scanner.readNonNegativeInteger("\(owner).parameters.shared_memory_byte_size")
            default: return false
            }
            return true
        }

        func reference(owner: String) throws(CodecError) -> KServeInferRequest.SharedMemoryReference? {
            guard let region else {
                guard offset == nil && byteSize == nil else {
                    throw .malformed("\(owner): shared_memory_offset and shared_memory_byte_size need shared_memory_region")
                }
                return nil
            }
            guard let byteSize else { throw .malformed("\(owner): shared_memory_region needs shared_memory_byte_size") }
            return .init(region: region, offset: offset ?? 0, byteSize: byteSize)
        }
    }

    private struct RawRequest {
        var id: String?
        var slope: Double?
        var binaryDataOutput = false
        var input: RawInput?
        var outputs: [KServeInferRequest.RequestedOutput]?
    }

    /// `markEvery`: the bytes of `data` text between the places its second pass may start a piece (nil: one piece).
    private static func readInput(_ scanner: inout JSONScanner, markEvery: Int?) throws(CodecError) -> RawInput {
        var input = RawInput()
        try scanner.forEachMember { key, _, scanner throws(CodecError) in
            switch key {
            case "name": input.name = try scanner.readString()
            case "datatype": input.datatype = try scanner.readString()
            case "shape": input.shape = try scanner.readIntegerArray(name: "inputs[0].shape")
            case "parameters":
                try scanner.forEachMember { name, _, scanner throws(CodecError) in
                    if name == "binary_data_size" {
                        input.binarySize = try scanner.readNonNegativeInteger("inputs[0].parameters.binary_data_size")
                    } else if try !input.sharedMemory.read(name, &scanner, owner: "inputs[0]") {
                        try scanner.skipValue()
                    }
                }
            case "data":
                scanner.skipWhitespace()
                let start = scanner.index
                input.data = (start, try DataStructure.scan(&scanner, markEvery: markEvery))
            default: try scanner.skipValue()
            }
        }
        return input
    }

    private static func readOutput(_ scanner: inout JSONScanner, index: Int) throws(CodecError) -> KServeInferRequest.RequestedOutput {
        var name: String?
        var binary: Bool?
        var sharedMemory = RawSharedMemory()
        let owner = "outputs[\(index)]"
        try scanner.forEachMember { key, _, scanner throws(CodecError) in
            switch key {
            case "name": name = try scanner.readString()
            case "parameters":
                try scanner.forEachMember { parameter, _, scanner throws(CodecError) in
                    if parameter == "binary_data" {
                        binary = try readBool(&scanner, "\(owner).parameters.binary_data")
                    } else if try !sharedMemory.read(parameter, &scanner, owner: owner) {
                        try scanner.skipValue()
                    }
                }
            default: try scanner.skipValue()
            }
        }
        let reference = try sharedMemory.reference(owner: owner)
        if reference != nil && binary == true {
            throw .malformed("\(owner): an output in shared memory cannot also be binary data in the answer")
        }
        guard let name else { throw .malformed("outputs[\(index)] has no name") }
        guard name == outputName else {
            throw .malformed("outputs[\(index)]: unknown output \"\(name.prefix(64))\"; the model's only output is \"\(outputName)\"")
        }
        return KServeInferRequest.RequestedOutput(name: name, binaryData: binary, sharedMemory: reference)
    }

    private static func assemble(
        _ raw: RawRequest, body: UnsafeRawBufferPointer, jsonLength: Int, admit: MemoryAdmission, parallel: ParallelPieces
    ) throws(CodecError) -> KServeInferRequest {
        guard let input = raw.input else { throw .malformed("inputs is missing or empty: the model takes one input, \"\(inputName)\"") }
        guard let name = input.name else { throw .malformed("inputs[0] has no name") }
        guard name == inputName else { throw .malformed("inputs[0]: unknown input \"\(name.prefix(64))\"; the model's input is \"\(inputName)\"") }
        guard let datatype = input.datatype else { throw .malformed("inputs[0] has no datatype") }
        let dtype = try KServeDatatype.dtype(named: datatype)
        guard let shape = input.shape else { throw .malformed("inputs[0] has no shape") }
        let count = try TensorShape.elementCount(shape)
        let byteCount = try TensorShape.byteCount(elements: count, itemSize: dtype.itemSize)
        let data: KServeInferRequest.InputData
        if let reference = try input.sharedMemory.reference(owner: "inputs[0]") {
            guard input.data == nil && input.binarySize == nil else {
                throw .malformed("inputs[0] has shared_memory_region and also data or binary_data_size; send one")
            }
            guard reference.byteSize == byteCount else {
                throw .malformed("inputs[0]: shared_memory_byte_size \(reference.byteSize) does not match shape \(shape) of \(datatype) (\(byteCount) bytes)")
            }
            guard jsonLength == body.count else {
                throw .malformed("\(body.count - jsonLength) bytes follow the JSON header but no input declares binary_data_size")
            }
            data = .sharedMemory(reference)
        } else if let size = input.binarySize {
            guard input.data == nil else { throw .malformed("inputs[0] has both data and binary_data_size") }
            guard size == byteCount else {
                throw .malformed("inputs[0]: binary_data_size \(size) does not match shape \(shape) of \(datatype) (\(byteCount) bytes)")
            }
            guard jsonLength + size == body.count else {
                throw .malformed("the binary data after the \(jsonLength)-byte JSON header is \(body.count - jsonLength) bytes; binary_data_size says \(size)")
            }
            data = .binary(jsonLength..<(jsonLength + size))
        } else {
            guard let json = input.data else {
                throw .malformed("inputs[0] has none of data, binary_data_size and shared_memory_region")
            }
            guard json.structure.count == count else {
                throw .malformed("inputs[0]: data has \(json.structure.count) elements but shape \(shape) needs \(count)")
            }
            guard jsonLength == body.count else {
                throw .malformed("\(body.count - jsonLength) bytes follow the JSON header but no input declares binary_data_size")
            }
            data = .json(try JSONTensorReader.readNumbers(
                body, from: json.start, count: count, dtype: dtype, admit: admit, marks: json.structure.marks, parallel: parallel))
        }
        return KServeInferRequest(
            id: raw.id, negativeSlope: raw.slope, binaryDataOutput: raw.binaryDataOutput, inputName: name, dtype: dtype,
            shape: shape, data: data, outputs: raw.outputs?.isEmpty == true ? nil : raw.outputs)
    }

    private static func readBool(_ scanner: inout JSONScanner, _ name: String) throws(CodecError) -> Bool {
        scanner.skipWhitespace()
        if scanner.current == UInt8(ascii: "t") {
            try scanner.literal("true")
            return true
        }
        if scanner.current == UInt8(ascii: "f") {
            try scanner.literal("false")
            return false
        }
        throw .malformed("\(name) must be true or false")
    }
}

extension JSONScanner {
    /// A non-negative integer value, read with the shape reader's checks.
    mutating func readNonNegativeInteger(_ name: String) throws(CodecError) -> Int {
        skipWhitespace()
        let start = index
        let number = try readNumber()
        guard number.special == .none, !number.isNegative, !number.isTruncated, number.exponent == 0,
            number.mantissa <= UInt64(Int.max)
        else { throw CodecError.malformed("\(name) at byte \(start) is not a non-negative integer") }
        return Int(number.mantissa)
    }
}
