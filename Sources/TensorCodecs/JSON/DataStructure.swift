import CNumberText

/// Where the second pass can begin reading on another thread: just after a comma between two numbers, or at the
/// first number of an innermost array. `element` is the index of the number that follows.
struct ReadingMark: Equatable {
    var index: Int
    var element: Int
    var isAfterComma: Bool
}

/// The shape and element count of a `data` value, found by the first pass, and where the second may be split.
struct DataStructure {
    var shape: [Int]
    var count: Int
    /// In order, about `markEvery` bytes apart; empty unless asked for.
    var marks: [ReadingMark] = []

    /// Scans a number or nested arrays of numbers; ragged or mixed nesting is an error naming the path.
    static func scan(_ scanner: inout JSONScanner, markEvery: Int? = nil) throws(CodecError) -> DataStructure {
        scanner.skipWhitespace()
        if scanner.current != UInt8(ascii: "[") {
            _ = try scanner.readNumber()
            return DataStructure(shape: [], count: 1)
        }
        var path: [Int] = []
        var marker = Marker(every: markEvery ?? Int.max, last: scanner.index)
        let shape = try scanArray(&scanner, path: &path, marker: &marker)
        return DataStructure(shape: shape, count: try TensorShape.elementCount(shape), marks: marker.marks)
    }

    /// The numbers counted so far and the marks set.
    struct Marker {
        let every: Int
        var last: Int
        var elements = 0
        var marks: [ReadingMark] = []

        mutating func add(_ mark: ReadingMark) {
            marks.append(mark)
            last = mark.index
        }

        /// Where the comma count for an array should pause to look for a mark, from `position`.
        func segmentEnd(from position: Int, length: Int) -> Int {
            let (end, overflow) = Swift.max(position, last).addingReportingOverflow(every)
            return overflow ? length : Swift.min(end, length)
        }
    }

    private static func scanArray(_ scanner: inout JSONScanner, path: inout [Int], marker: inout Marker) throws(CodecError) -> [Int] {
        guard path.count < TensorShape.maxRank else {
            throw CodecError.malformed("data\(label(path)) nests deeper than \(TensorShape.maxRank) dimensions")
        }
        scanner.index += 1  // '['
        scanner.skipWhitespace()
        if scanner.current == UInt8(ascii: "]") {
            scanner.index += 1
            return [0]
        }
        if scanner.current != UInt8(ascii: "[") { return [try scanNumbers(&scanner, path: &path, marker: &marker)] }
        var length = 0
        var childShape: [Int]?
        while true {
            scanner.skipWhitespace()
            path.append(length)
            guard scanner.current == UInt8(ascii: "[") else {
                throw CodecError.malformed("data\(label(path)) is ragged: expected an array, found \(scanner.describeCurrent())")
            }
            let shape = try scanArray(&scanner, path: &path, marker: &marker)
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
    /// number list (a string, an object, a nested array) is reported here with its path. Every `marker.every` bytes
    /// it marks a place the second pass can start from: this array's start, or just after a comma inside it.
    private static func scanNumbers(_ scanner: inout JSONScanner, path: inout [Int], marker: inout Marker) throws(CodecError) -> Int {
        let bytes = scanner.bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let length = scanner.bytes.count
        if marker.every != Int.max && scanner.index - marker.last >= marker.every {
            marker.add(ReadingMark(index: scanner.index, element: marker.elements, isAfterComma: false))
        }
        var commas = 0
        var position = scanner.index
        var stop: Int
        while true {
            let segmentEnd = marker.segmentEnd(from: position, length: length)
            stop = tk_json_count_commas(bytes, segmentEnd, position, &commas)
            if stop < segmentEnd || segmentEnd == length { break }
            // The segment ended inside this array: mark just after the next comma, if the array goes on.
            var next = segmentEnd
            while next < length && bytes[next] != UInt8(ascii: ",") && !tk_json_ends_numbers(bytes[next]) { next += 1 }
            if next < length && bytes[next] == UInt8(ascii: ",") {
                commas += 1
                marker.add(ReadingMark(index: next + 1, element: marker.elements + commas, isAfterComma: true))
                position = next + 1
            } else {
                position = next
            }
        }
        guard stop < length else {
            scanner.index = stop
            throw scanner.error("expected ',' or ']' in data\(label(path)), found the end of the body")
        }
        guard bytes[stop] == UInt8(ascii: "]") else {
            return try fail(&scanner, at: stop, path: &path, element: commas)
        }
        scanner.index = stop + 1
        marker.elements += commas + 1
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
