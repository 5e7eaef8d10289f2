import CNumberText
import TensorKernels

/// Writes `{"dtype": ..., "shape": [...], "data": ...}` into one buffer allocated once at its largest size.
public enum JSONTensorWriter {
    /// Answers with more nesting than this many brackets are refused: they would be mostly punctuation and could
    /// be asked for with a tiny empty tensor (shape `1000000000,0`).
    public static let maxBrackets = 1 << 26

    /// The JSON answer for `count` elements of `dtype` at `data`, mirroring `layout`.
    /// `admit` is asked for the answer's largest size before it is allocated.
    public static func write(
        dtype: DType, shape: [Int], layout: TensorLayout, data: UnsafeRawBufferPointer,
        admit: MemoryAdmission = admitAnything
    ) throws(CodecError) -> [UInt8] {
        let count = data.count / dtype.itemSize
        let brackets = try bracketCount(shape: layout == .flat ? [count] : shape)
        let header = "{\"dtype\":\"\(dtype.rawValue)\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],\"data\":"
        // Each nested array takes two brackets and at most one comma; each element its text and one comma.
        let capacity = header.utf8.count + 1 + brackets * 3 + count * (ShortestDecimal.room(for: dtype) + 1)
        try CodecError.admitting(capacity, for: "the JSON answer", admit)
        return [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            var cursor = buffer.baseAddress!
            for byte in header.utf8 {
                cursor.pointee = byte
                cursor += 1
            }
            var writer = ElementWriter(dtype: dtype, data: data)
            if layout == .flat {
                writer.writeArray(dimensions: [count][...], to: &cursor)
            } else if shape.isEmpty {
                writer.writeNext(to: &cursor)
            } else {
                writer.writeArray(dimensions: shape[...], to: &cursor)
            }
            cursor.pointee = UInt8(ascii: "}")
            cursor += 1
            initialized = cursor - buffer.baseAddress!
        }
    }

    /// Just a flat JSON array of the elements, `[1.0,-0.01]`, for protocols that wrap it themselves.
    public static func flatArray(
        dtype: DType, data: UnsafeRawBufferPointer, admit: MemoryAdmission = admitAnything
    ) throws(CodecError) -> [UInt8] {
        let count = data.count / dtype.itemSize
        let capacity = 2 + count * (ShortestDecimal.room(for: dtype) + 1)
        try CodecError.admitting(capacity, for: "the JSON answer", admit)
        return [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            var cursor = buffer.baseAddress!
            var writer = ElementWriter(dtype: dtype, data: data)
            writer.writeArray(dimensions: [count][...], to: &cursor)
            initialized = cursor - buffer.baseAddress!
        }
    }

    static func bracketCount(shape: [Int]) throws(CodecError) -> Int {
        var total = 0
        var arrays = 1
        for dimension in shape {
            total += arrays
            guard total <= maxBrackets else {
                throw CodecError(.notRepresentable, "shape \(shape) has too many nested arrays to answer as JSON")
            }
            let (product, overflow) = arrays.multipliedReportingOverflow(by: dimension)
            arrays = overflow ? Int.max : product
            if arrays == 0 { break }
        }
        return total
    }

    private struct ElementWriter {
        let dtype: DType
        let data: UnsafeRawBufferPointer
        var next = 0

        init(dtype: DType, data: UnsafeRawBufferPointer) {
            self.dtype = dtype
            self.data = data
        }

        mutating func writeNext(to cursor: inout UnsafeMutablePointer<UInt8>) {
            let source = data.baseAddress! + next * dtype.itemSize
            let length: Int
            switch dtype {
            case .float32: length = ShortestDecimal.write(float: source.loadUnaligned(as: Float.self), to: cursor)
            case .float64: length = ShortestDecimal.write(double: source.loadUnaligned(as: Double.self), to: cursor)
            case .float16: length = ShortestDecimal.write(float16Bits: source.loadUnaligned(as: UInt16.self), to: cursor)
            case .bfloat16: length = ShortestDecimal.write(bfloat16Bits: source.loadUnaligned(as: UInt16.self), to: cursor)
            }
            cursor += length
            next += 1
        }

        mutating func writeArray(dimensions: ArraySlice<Int>, to cursor: inout UnsafeMutablePointer<UInt8>) {
            cursor.pointee = UInt8(ascii: "[")
            cursor += 1
            let length = dimensions.first!
            let inner = dimensions.dropFirst()
            if inner.isEmpty && dtype == .float32 && length > 0 {
                // The common row: one C loop, the printer inlined into it.
                let source = data.baseAddress! + next * 4
                cursor += tk_write_shortest_float32_row(source, length, cursor)
                next += length
                cursor.pointee = UInt8(ascii: "]")
                cursor += 1
                return
            }
            for index in 0..<length {
                if index > 0 {
                    cursor.pointee = UInt8(ascii: ",")
                    cursor += 1
                }
                if inner.isEmpty { writeNext(to: &cursor) } else { writeArray(dimensions: inner, to: &cursor) }
            }
            cursor.pointee = UInt8(ascii: "]")
            cursor += 1
        }
    }
}
