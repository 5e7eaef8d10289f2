import CNumberText
import TensorKernels

/// Reads `{"data": ..., "shape": ..., "dtype": ..., "negative_slope": ...}` straight into a typed buffer.
///
/// Two passes over the bytes: the first finds the keys in any order, checks the structure of `data` and infers its
/// shape and element count; the second converts each number, correctly rounded, into a buffer allocated once at
/// its exact size. No number is ever boxed and no intermediate array of values exists.
public enum JSONTensorReader {
    /// The members an object may have.
    public static let members = ["data", "shape", "dtype", "negative_slope"]

    static func unknownMemberDetail(_ key: String, at offset: Int) -> String {
        let lowered = key.lowercased()
        let hint = ["slope", "alpha", "negative"].contains { lowered.contains($0) } ? #"; the slope is "negative_slope""# : ""
        let names = members.map { "\"\($0)\"" }.joined(separator: ", ")
        return "unknown member \"\(key.prefix(32))\" at byte \(offset); the members are \(names)\(hint)"
    }

    /// `admit` is asked for the decoded tensor's bytes, counted by the first pass, before they are allocated.
    public static func read(
        _ body: UnsafeRawBufferPointer, admit: MemoryAdmission = admitAnything
    ) throws(CodecError) -> JSONTensorRequest {
        var scanner = JSONScanner(body)
        scanner.skipWhitespace()
        if scanner.current == UInt8(ascii: "[") {
            throw CodecError.malformed(#"the body is a bare JSON array; send an object: {"data": [...]}"#)
        }
        try scanner.expect(UInt8(ascii: "{"), "a JSON object")
        var dataStart: Int?
        var inferred: DataStructure?
        var shape: [Int]?
        var dtype = DType.float32
        var slope: Double?
        var seen: Set<String> = []

        scanner.skipWhitespace()
        if scanner.current == UInt8(ascii: "}") {
            scanner.index += 1
        } else {
            while true {
                scanner.skipWhitespace()
                let keyOffset = scanner.index
                let key = try scanner.readString()
                try scanner.expect(UInt8(ascii: ":"), "':' after \"\(key.prefix(32))\"")
                if ["data", "shape", "dtype", "negative_slope"].contains(key) {
                    guard seen.insert(key).inserted else {
                        throw CodecError.malformed("malformed JSON at byte \(keyOffset): \"\(key)\" appears twice")
                    }
                }
                switch key {
                case "data":
                    scanner.skipWhitespace()
                    dataStart = scanner.index
                    inferred = try DataStructure.scan(&scanner)
                case "shape":
                    shape = try scanner.readIntegerArray(name: "shape")
                case "dtype":
                    scanner.skipWhitespace()
                    guard scanner.current == UInt8(ascii: "\"") else {
                        throw CodecError.malformed("dtype at byte \(scanner.index) must be a string such as \"float32\"")
                    }
                    dtype = try DTypeName.parse(try scanner.readString())
                case "negative_slope":
                    scanner.skipWhitespace()
                    let start = scanner.index
                    let number = try scanner.readNumber()
                    let value = number.double(in: body)
                    guard value.isFinite else {
                        throw CodecError.malformed("negative_slope at byte \(start) must be a finite number")
                    }
                    slope = value
                default:
                    // A misspelt member must not fall back to a default silently (a "slope" computed with 0.01).
                    throw CodecError.malformed(Self.unknownMemberDetail(key, at: keyOffset))
                }
                scanner.skipWhitespace()
                if scanner.current == UInt8(ascii: "}") {
                    scanner.index += 1
                    break
                }
                try scanner.expect(UInt8(ascii: ","), "',' or '}'")
            }
        }
        scanner.skipWhitespace()
        guard scanner.isAtEnd else { throw scanner.error("unexpected \(scanner.describeCurrent()) after the object") }
        guard let dataStart, let inferred else { throw CodecError.malformed("the body has no \"data\" field") }

        let finalShape: [Int]
        let layout: TensorLayout
        if let shape {
            let expected = try TensorShape.elementCount(shape)
            guard expected == inferred.count else {
                throw CodecError.malformed("shape \(shape) holds \(expected) elements but data has \(inferred.count)")
            }
            finalShape = shape
            layout = .flat
        } else {
            finalShape = inferred.shape
            layout = .nested
        }
        let data = try readNumbers(body, from: dataStart, count: inferred.count, dtype: dtype, admit: admit)
        return JSONTensorRequest(dtype: dtype, shape: finalShape, layout: layout, negativeSlope: slope, data: data)
    }

    /// Reads `count` numbers of a `data` value that starts at `start` (and was checked by `DataStructure.scan`) into
    /// a new buffer of `dtype` elements.
    static func readNumbers(
        _ body: UnsafeRawBufferPointer, from start: Int, count: Int, dtype: DType, admit: MemoryAdmission
    ) throws(CodecError) -> [UInt8] {
        let byteCount = try TensorShape.byteCount(elements: count, itemSize: dtype.itemSize)
        try CodecError.admitting(byteCount, for: "the decoded tensor", admit)
        var failure: CodecError?
        let data = [UInt8](unsafeUninitializedCapacity: byteCount) { buffer, initialized in
            do {
                try fillNumbers(body, from: start, count: count, dtype: dtype, into: UnsafeMutableRawBufferPointer(buffer))
                initialized = byteCount
            } catch {
                failure = error as? CodecError
                initialized = 0
            }
        }
        if let failure { throw failure }
        return data
    }

    /// Second pass: reads the numbers in order into `output`, checking each number's syntax and the separators
    /// around it (the first pass has checked the brackets and counted the elements). The loop is C
    /// (`tk_read_json_numbers`); the few numbers it leaves to the exact path are stored here.
    private static func fillNumbers(
        _ body: UnsafeRawBufferPointer, from start: Int, count: Int, dtype: DType, into output: UnsafeMutableRawBufferPointer
    ) throws(CodecError) {
        guard count > 0 else { return }
        let element: Int32 = switch dtype {
        case .float64: Int32(TK_ELEMENT_FLOAT64)
        case .float32: Int32(TK_ELEMENT_FLOAT32)
        case .float16: Int32(TK_ELEMENT_FLOAT16)
        case .bfloat16: Int32(TK_ELEMENT_BFLOAT16)
        }
        let bytes = body.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var cursor = tk_number_cursor(index: start, written: 0, expecting: UInt8(TK_EXPECT_VALUE_OR_CLOSE))
        while true {
            let status = tk_read_json_numbers(bytes, body.count, count, element, output.baseAddress!, &cursor)
            if status == TK_NUMBERS_DONE { break }
            guard status == TK_NUMBERS_NEEDS_EXACT, let number = DecimalNumber.scan(body, at: cursor.index) else {
                let expected = cursor.expecting == UInt8(TK_EXPECT_SEPARATOR) ? "',' or ']'" : "a number"
                throw unexpected(body, at: cursor.index, expected)
            }
            let target = output.baseAddress! + cursor.written * dtype.itemSize
            switch dtype {
            case .float64: target.storeBytes(of: number.double(in: body), as: Double.self)
            case .float32: target.storeBytes(of: number.float(in: body), as: Float.self)
            case .float16: target.storeBytes(of: number.float16Bits(in: body), as: UInt16.self)
            case .bfloat16: target.storeBytes(of: number.bfloat16Bits(in: body), as: UInt16.self)
            }
            cursor.index = number.text.upperBound
            cursor.written += 1
            cursor.expecting = UInt8(TK_EXPECT_SEPARATOR)
        }
        // After the last number only whitespace and the closing brackets may follow (or nothing, for a scalar).
        var index = cursor.index
        while index < body.count, [0x20, 0x09, 0x0A, 0x0D].contains(body[index]) { index += 1 }
        guard index >= body.count || [UInt8(ascii: "]"), UInt8(ascii: ","), UInt8(ascii: "}")].contains(body[index]) else {
            throw unexpected(body, at: index, "',' or ']'")
        }
    }

    private static func unexpected(_ body: UnsafeRawBufferPointer, at index: Int, _ expected: String) -> CodecError {
        var scanner = JSONScanner(body)
        scanner.index = index
        return scanner.error("expected \(expected) in data, found \(scanner.describeCurrent())")
    }
}

/// The shape and element count of a `data` value, found by the first pass.
struct DataStructure {
    var shape: [Int]
    var count: Int

    /// Scans a number or nested arrays of numbers; ragged or mixed nesting is an error naming the path.
    static func scan(_ scanner: inout JSONScanner) throws(CodecError) -> DataStructure {
        scanner.skipWhitespace()
        if scanner.current != UInt8(ascii: "[") {
            _ = try scanner.readNumber()
            return DataStructure(shape: [], count: 1)
        }
        var path: [Int] = []
        let shape = try scanArray(&scanner, path: &path)
        return DataStructure(shape: shape, count: try TensorShape.elementCount(shape))
    }

    private static func scanArray(_ scanner: inout JSONScanner, path: inout [Int]) throws(CodecError) -> [Int] {
        guard path.count < TensorShape.maxRank else {
            throw CodecError.malformed("data\(label(path)) nests deeper than \(TensorShape.maxRank) dimensions")
        }
        scanner.index += 1  // '['
        scanner.skipWhitespace()
        if scanner.current == UInt8(ascii: "]") {
            scanner.index += 1
            return [0]
        }
        if scanner.current != UInt8(ascii: "[") { return [try scanNumbers(&scanner, path: &path)] }
        var length = 0
        var childShape: [Int]?
        while true {
            scanner.skipWhitespace()
            path.append(length)
            guard scanner.current == UInt8(ascii: "[") else {
                throw CodecError.malformed("data\(label(path)) is ragged: expected an array, found \(scanner.describeCurrent())")
            }
            let shape = try scanArray(&scanner, path: &path)
            if let childShape, childShape != shape {
                throw CodecError.malformed("data\(label(path)) is ragged: expected shape \(childShape), found \(shape)")
            }
            childShape = shape
            path.removeLast()
            length += 1
            scanner.skipWhitespace()
            if scanner.current == UInt8(ascii: "]") {
                scanner.index += 1
                return [length] + (childShape ?? [])
            }
            try scanner.expect(UInt8(ascii: ","), "',' or ']' in data\(label(path))")
        }
    }

    /// The innermost arrays hold the numbers. This pass only counts them, by their commas, many bytes at a time;
    /// the second pass reads each number and checks the syntax between them. Anything that cannot be part of a
    /// number list (a string, an object, a nested array) is reported here with its path.
    private static func scanNumbers(_ scanner: inout JSONScanner, path: inout [Int]) throws(CodecError) -> Int {
        var commas = 0
        let stop = tk_json_count_commas(
            scanner.bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), scanner.bytes.count, scanner.index, &commas)
        guard stop < scanner.bytes.count else {
            scanner.index = stop
            throw scanner.error("expected ',' or ']' in data\(label(path)), found the end of the body")
        }
        guard scanner.bytes[stop] == UInt8(ascii: "]") else {
            return try fail(&scanner, at: stop, path: &path, element: commas)
        }
        scanner.index = stop + 1
        return commas + 1
    }

    private static func fail(_ scanner: inout JSONScanner, at index: Int, path: inout [Int], element: Int) throws(CodecError) -> Int {
        scanner.index = index
        path.append(element)
        defer { path.removeLast() }
        if scanner.current == UInt8(ascii: "[") {
            throw CodecError.malformed("data\(label(path)) is ragged: expected a number, found an array")
        }
        throw CodecError.malformed("data\(label(path)) at byte \(index): expected a number, found \(scanner.describeCurrent())")
    }

    private static func label(_ path: [Int]) -> String { path.map { "[\($0)]" }.joined() }
}
