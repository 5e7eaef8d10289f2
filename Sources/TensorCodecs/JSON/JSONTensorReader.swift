import CNumberText
import TensorKernels
import TensorMemory

/// Reads `{"data": ..., "shape": ..., "dtype": ..., "negative_slope": ...}` straight into a typed buffer (KServe V1
/// and TF Serving name the data `instances` or `inputs` instead).
///
/// Two passes over the bytes: the first finds the keys in any order, checks the structure of `data` and infers its
/// shape and element count; the second converts each number, correctly rounded, into a buffer allocated once at
/// its exact size. No number is ever boxed and no intermediate array of values exists.
public enum JSONTensorReader {
    /// The members besides the data.
    public static let otherMembers = ["shape", "dtype", "negative_slope"]

    static func unknownMemberDetail(_ key: String, at offset: Int, dataKeys: [String] = ["data"]) -> String {
        let lowered = key.lowercased()
        let hint = ["slope", "alpha", "negative"].contains { lowered.contains($0) } ? #"; the slope is "negative_slope""# : ""
        let names = (dataKeys + otherMembers).map { "\"\($0)\"" }.joined(separator: ", ")
        return "unknown member \"\(key.prefix(32))\" at byte \(offset); the members are \(names)\(hint)"
    }

    /// `admit` is asked for the decoded tensor's bytes, counted by the first pass, before they are allocated. A large
    /// data value is read in pieces on `parallel`'s threads. `dataKeys` are the names the data may have (one of them).
    public static func read(
        _ body: UnsafeRawBufferPointer, dataKeys: [String] = ["data"], admit: MemoryAdmission = admitAnything,
        parallel: ParallelPieces = .serial
    ) throws(CodecError) -> JSONTensorRequest {
        var scanner = JSONScanner(body)
        scanner.skipWhitespace()
        if scanner.current == UInt8(ascii: "[") {
            throw CodecError.malformed(#"the body is a bare JSON array; send an object: {"\#(dataKeys[0])": [...]}"#)
        }
        var dataStart: Int?
        var inferred: DataStructure?
        var shape: [Int]?
        var dtype = DType.float32
        var slope: Double?
        var dataKey = dataKeys[0]
        var seen: Set<String> = []

        try scanner.forEachMember(.init(opening: "a JSON object", namesMembers: true)) { key, keyOffset, scanner throws(CodecError) in
            let isData = dataKeys.contains(key)
            if isData || otherMembers.contains(key) {
                guard seen.insert(isData ? "data" : key).inserted else {
                    let what = isData && dataKeys.count > 1 ? "one of \(dataKeys.map { "\"\($0)\"" }.joined(separator: " and "))" : "\"\(key)\""
                    throw CodecError.malformed("malformed JSON at byte \(keyOffset): \(what) appears twice")
                }
            }
            switch key {
            case _ where isData:
                dataKey = key
                dataStart = scanner.index
                inferred = try DataStructure.scan(&scanner, markEvery: parallel.pieceBytes(forText: body.count))
            case "shape":
                shape = try scanner.readIntegerArray(name: "shape")
            case "dtype":
                guard scanner.current == UInt8(ascii: "\"") else {
                    throw CodecError.malformed("dtype at byte \(scanner.index) must be a string such as \"float32\"")
                }
                dtype = try DTypeName.parse(try scanner.readString())
            case "negative_slope":
                let start = scanner.index
                let number = try scanner.readNumber()
                let value = number.double(in: body)
                guard value.isFinite else {
                    throw CodecError.malformed("negative_slope at byte \(start) must be a finite number")
                }
                slope = value
            default:
                // A misspelt member must not fall back to a default silently (a "slope" computed with 0.01).
                throw CodecError.malformed(Self.unknownMemberDetail(key, at: keyOffset, dataKeys: dataKeys))
            }
        }
        scanner.skipWhitespace()
        guard scanner.isAtEnd else { throw scanner.error("unexpected \(scanner.describeCurrent()) after the object") }
        guard let dataStart, let inferred else {
            throw CodecError.malformed("the body has no \(dataKeys.map { "\"\($0)\"" }.joined(separator: " or ")) field")
        }

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
        let data = try readNumbers(
            body, from: dataStart, count: inferred.count, dtype: dtype, admit: admit, marks: inferred.marks, parallel: parallel)
        return JSONTensorRequest(dtype: dtype, shape: finalShape, layout: layout, negativeSlope: slope, data: data, dataKey: dataKey)
    }

    /// Reads `count` numbers of a `data` value that starts at `start` (and was checked by `DataStructure.scan`) into
    /// a new buffer of `dtype` elements: in one piece, or from each of the first pass's `marks` at once on
    /// `parallel`'s threads, each piece into its own part of the buffer.
    static func readNumbers(
        _ body: UnsafeRawBufferPointer, from start: Int, count: Int, dtype: DType, admit: MemoryAdmission,
        marks: [ReadingMark] = [], parallel: ParallelPieces = .serial
    ) throws(CodecError) -> [UInt8] {
        let byteCount = try TensorShape.byteCount(elements: count, itemSize: dtype.itemSize)
        try CodecError.admitting(byteCount, for: "the decoded tensor", admit)
        let starts = [ReadingMark(index: start, element: 0, isAfterComma: false)] + (parallel.width > 1 ? marks : [])
        var failure: CodecError?
        let data = [UInt8](unsafeUninitializedCapacity: byteCount) { buffer, initialized in
            let output = UnsafeMutableRawBufferPointer(buffer)
            if starts.count == 1 {
                do throws(CodecError) {
                    try fillNumbers(body, from: starts[0], until: nil, count: count, dtype: dtype, into: output)
                } catch {
                    failure = error
                }
            } else {
                let errors = PieceSlots<CodecError>(count: starts.count)
                let text = SharedBytes(base: UnsafeMutableRawPointer(mutating: body.baseAddress!))
                let target = SharedBytes(base: output.baseAddress!)
                let (textCount, outputCount) = (body.count, output.count)
                parallel.run(starts.count) { piece in
                    let body = UnsafeRawBufferPointer(start: text.base, count: textCount)
                    let output = UnsafeMutableRawBufferPointer(start: target.base, count: outputCount)
                    let end = piece + 1 < starts.count ? starts[piece + 1] : nil
                    do throws(CodecError) {
                        try fillNumbers(body, from: starts[piece], until: end, count: count, dtype: dtype, into: output)
                    } catch {
                        errors[piece] = error
                    }
                }
                // The first error in the text is the one a serial read would have met.
                failure = errors.values.lazy.compactMap { $0 }.first
            }
            initialized = failure == nil ? byteCount : 0
        }
        if let failure { throw failure }
        return data
    }

    /// Second pass, for the numbers from `mark` up to `end` (or to the last): reads them in order into `output`,
    /// checking each number's syntax and the separators around it (the first pass has checked the brackets and
    /// counted the elements). The loop is C (`tk_read_json_numbers`); the few numbers it leaves to the exact path
    /// are stored here.
    private static func fillNumbers(
        _ body: UnsafeRawBufferPointer, from mark: ReadingMark, until end: ReadingMark?, count: Int, dtype: DType,
        into output: UnsafeMutableRawBufferPointer
    ) throws(CodecError) {
        guard count > 0 else { return }
        let element: Int32 = switch dtype {
        case .float64: Int32(TK_ELEMENT_FLOAT64)
        case .float32: Int32(TK_ELEMENT_FLOAT32)
        case .float16: Int32(TK_ELEMENT_FLOAT16)
        case .bfloat16: Int32(TK_ELEMENT_BFLOAT16)
        }
        let bytes = body.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let expecting = mark.isAfterComma ? TK_EXPECT_VALUE : TK_EXPECT_VALUE_OR_CLOSE
        var cursor = tk_number_cursor(index: mark.index, written: mark.element, expecting: UInt8(expecting))
        let stopAt = end?.element ?? count
        while true {
            let status = tk_read_json_numbers(bytes, body.count, stopAt, element, output.baseAddress!, &cursor)
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
        var index = cursor.index
        if let end {
            // Up to the next piece's start only what the first pass allows between numbers: whitespace, brackets
            // (checked by it) and commas, and exactly the one comma a mark after a comma stands behind.
            var commas = 0
            while index < end.index {
                switch body[index] {
                case 0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: "["), UInt8(ascii: "]"): break
                case UInt8(ascii: ","): commas += 1
                default: throw unexpected(body, at: index, "',' or ']'")
                }
                if end.isAfterComma && commas > 1 { throw unexpected(body, at: index, "a number") }
                index += 1
            }
            return
        }
        // After the last number only whitespace and the closing brackets may follow (or nothing, for a scalar).
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
