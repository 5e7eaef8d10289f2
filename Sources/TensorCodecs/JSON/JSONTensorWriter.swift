import CNumberText
import TensorKernels
import TensorMemory

/// Writes `{"dtype": ..., "shape": [...], "data": ...}` into one buffer allocated once at its largest size.
public enum JSONTensorWriter {
    /// Answers with more nesting than this many brackets are refused: they would be mostly punctuation and could
    /// be asked for with a tiny empty tensor (shape `1000000000,0`).
    public static let maxBrackets = 1 << 26

    /// The JSON answer for `count` elements of `dtype` at `data`, mirroring `layout`: `{"dtype", "shape", "data"}`,
    /// or `header` (`{"predictions":`) then the data and `}`.
    /// `admit` is asked for the answer's largest size before it is allocated.
    /// A large answer is written in pieces on `parallel`'s threads.
    public static func write(
        dtype: DType, shape: [Int], layout: TensorLayout, data: UnsafeRawBufferPointer, header: String? = nil,
        admit: MemoryAdmission = admitAnything, parallel: ParallelPieces = .serial
    ) throws(CodecError) -> [UInt8] {
        let count = data.count / dtype.itemSize
        let brackets = try bracketCount(shape: layout == .flat ? [count] : shape)
        let header = header ?? defaultHeader(dtype: dtype, shape: shape)
        // Each nested array takes two brackets and at most one comma; each element its text and one comma.
        let capacity = header.utf8.count + 1 + brackets * 3 + count * (ShortestDecimal.room(for: dtype) + 1)
        try CodecError.admitting(capacity, for: "the JSON answer", admit)
        return [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            var cursor = buffer.baseAddress!
            for byte in header.utf8 {
                cursor.pointee = byte
                cursor += 1
            }
            if layout == .nested && shape.isEmpty {
                var writer = ElementWriter(dtype: dtype, data: data)
                writer.writeNext(to: &cursor)
            } else {
                writeArray(dtype: dtype, data: data, dimensions: layout == .flat ? [count] : shape, to: &cursor, parallel: parallel)
            }
            cursor.pointee = UInt8(ascii: "}")
            cursor += 1
            initialized = cursor - buffer.baseAddress!
        }
    }

    /// `{"dtype":"float32","shape":[2,3],"data":`: what comes before the data when no other header is given.
    public static func defaultHeader(dtype: DType, shape: [Int]) -> String {
        "{\"dtype\":\"\(dtype.rawValue)\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],\"data\":"
    }

    /// Just a flat JSON array of the elements, `[1.0,-0.01]`, for protocols that wrap it themselves.
    public static func flatArray(
        dtype: DType, data: UnsafeRawBufferPointer, admit: MemoryAdmission = admitAnything, parallel: ParallelPieces = .serial
    ) throws(CodecError) -> [UInt8] {
        let count = data.count / dtype.itemSize
        let capacity = 2 + count * (ShortestDecimal.room(for: dtype) + 1)
        try CodecError.admitting(capacity, for: "the JSON answer", admit)
        return [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            var cursor = buffer.baseAddress!
            writeArray(dtype: dtype, data: data, dimensions: [count], to: &cursor, parallel: parallel)
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

    /// Writes the nested array of `dimensions` (at least one) at `cursor`. From two pieces' worth of elements (32 Ki
    /// each), with threads to spare, the outermost dimension is split into pieces: each writes its sub-arrays into its own part of the
    /// buffer, at the offset their largest size allows, and the pieces are then moved together. Every piece stays
    /// inside its part, since the room per element and bracket counted for the buffer covers its longest text.
    private static func writeArray(
        dtype: DType, data: UnsafeRawBufferPointer, dimensions: [Int], to cursor: inout UnsafeMutablePointer<UInt8>,
        parallel: ParallelPieces
    ) {
        let count = data.count / dtype.itemSize
        let outer = dimensions[0]
        guard parallel.width > 1, count >= 2 * parallel.pieceElements, outer >= 2 else {
            var writer = ElementWriter(dtype: dtype, data: data)
            writer.writeArray(dimensions: dimensions[...], to: &cursor)
            return
        }
        let inner = Array(dimensions.dropFirst())
        let elementsPerItem = count / outer
        // Validated with the whole shape already: the inner shape has fewer brackets.
        let bracketsPerItem = inner.isEmpty ? 0 : (try? bracketCount(shape: inner)) ?? 0
        let bytesPerItem = elementsPerItem * (ShortestDecimal.room(for: dtype) + 1) + bracketsPerItem * 3
        let pieces = min(outer, parallel.width * 4, count / parallel.pieceElements)
        cursor.pointee = UInt8(ascii: "[")
        cursor += 1
        let regions = SharedBytes(base: UnsafeMutableRawPointer(cursor))
        let source = SharedBytes(base: UnsafeMutableRawPointer(mutating: data.baseAddress!))
        let lengths = PieceSlots<Int>(count: pieces)
        let dataCount = data.count
        parallel.run(pieces) { piece in
            let items = outer * piece / pieces..<outer * (piece + 1) / pieces
            let start = regions.base.assumingMemoryBound(to: UInt8.self) + items.lowerBound * bytesPerItem
            var writer = ElementWriter(dtype: dtype, data: UnsafeRawBufferPointer(start: source.base, count: dataCount))
            writer.next = items.lowerBound * elementsPerItem
            var end = start
            if inner.isEmpty {
                writer.writeElements(items.count, to: &end)
            } else {
                for item in items {
                    if item > items.lowerBound {
                        end.pointee = UInt8(ascii: ",")
                        end += 1
                    }
                    writer.writeArray(dimensions: inner[...], to: &end)
                }
            }
            lengths[piece] = end - start
        }
        // Together, in order, with a comma between pieces; each moves down (never up), so the ranges never cross.
        for piece in 0..<pieces {
            if piece > 0 {
                cursor.pointee = UInt8(ascii: ",")
                cursor += 1
            }
            let start = regions.base.assumingMemoryBound(to: UInt8.self) + (outer * piece / pieces) * bytesPerItem
            let length = lengths[piece]!
            UnsafeMutableRawPointer(cursor).copyMemory(from: start, byteCount: length)  // memmove: may overlap
            cursor += length
        }
        cursor.pointee = UInt8(ascii: "]")
        cursor += 1
    }

    struct ElementWriter {
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

        /// `count` elements separated by commas, no brackets.
        mutating func writeElements(_ count: Int, to cursor: inout UnsafeMutablePointer<UInt8>) {
            guard count > 0 else { return }
            // float32 and float64 rows: one C loop each, with no Swift call per element.
            if dtype == .float32 {
                cursor += tk_write_shortest_float32_row(data.baseAddress! + next * 4, count, cursor)
                next += count
                return
            }
            if dtype == .float64 {
                cursor += tk_write_shortest_float64_row(data.baseAddress! + next * 8, count, cursor)
                next += count
                return
            }
            for index in 0..<count {
                if index > 0 {
                    cursor.pointee = UInt8(ascii: ",")
                    cursor += 1
                }
                writeNext(to: &cursor)
            }
        }

        mutating func writeArray(dimensions: ArraySlice<Int>, to cursor: inout UnsafeMutablePointer<UInt8>) {
            cursor.pointee = UInt8(ascii: "[")
            cursor += 1
            let length = dimensions.first!
            let inner = dimensions.dropFirst()
            if inner.isEmpty {
                writeElements(length, to: &cursor)
            } else {
                for index in 0..<length {
                    if index > 0 {
                        cursor.pointee = UInt8(ascii: ",")
                        cursor += 1
                    }
                    writeArray(dimensions: inner, to: &cursor)
                }
            }
            cursor.pointee = UInt8(ascii: "]")
            cursor += 1
        }
    }
}
