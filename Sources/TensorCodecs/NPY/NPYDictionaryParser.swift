/// A value in an `.npy` header dict.
enum NPYValue: Equatable {
    case string(String)
    case bool(Bool)
    case tuple([Int])
}

/// Reads the Python dict literal of an `.npy` header: string keys; values that are strings, True/False or tuples
/// of non-negative integers. Only that subset appears in real headers; anything else is a 400 naming the spot.
enum NPYDictionaryParser {
    static func parse(_ text: UnsafeRawBufferPointer) throws(CodecError) -> [String: NPYValue] {
        var parser = Cursor(bytes: Array(text))
        return try parser.dictionary()
    }

    private struct Cursor {
        let bytes: [UInt8]
        var index = 0

        func error(_ what: String) -> CodecError { .malformed(".npy: header byte \(index): \(what)") }

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func expect(_ byte: UInt8, _ what: String) throws(CodecError) {
            skipSpace()
            guard index < bytes.count, bytes[index] == byte else { throw error("expected \(what)") }
            index += 1
        }

        mutating func peek() -> UInt8? {
            skipSpace()
            return index < bytes.count ? bytes[index] : nil
        }

        mutating func dictionary() throws(CodecError) -> [String: NPYValue] {
            try expect(UInt8(ascii: "{"), "'{': the header is not a dict")
            var result: [String: NPYValue] = [:]
            while true {
                if peek() == UInt8(ascii: "}") {
                    index += 1
                    break
                }
                let key = try string()
                try expect(UInt8(ascii: ":"), "':' after key '\(key)'")
                let value = try self.value()
                guard result.updateValue(value, forKey: key) == nil else { throw error("key '\(key)' appears twice") }
                guard let next = peek() else { throw error("the dict is not closed") }
                if next == UInt8(ascii: ",") {
                    index += 1
                } else if next != UInt8(ascii: "}") {
                    throw error("expected ',' or '}'")
                }
            }
            skipSpace()
            guard index == bytes.count else { throw error("text follows the dict") }
            return result
        }

        mutating func string() throws(CodecError) -> String {
            guard let quote = peek(), quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") else {
                throw error("expected a quoted string")
            }
            index += 1
            let start = index
            while index < bytes.count, bytes[index] != quote {
                guard bytes[index] != UInt8(ascii: "\\") else { throw error("escapes are not supported in header strings") }
                index += 1
            }
            guard index < bytes.count else { throw error("unterminated string") }
            defer { index += 1 }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        mutating func value() throws(CodecError) -> NPYValue {
            switch peek() {
            case UInt8(ascii: "'"), UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "T"), UInt8(ascii: "F"):
                for (word, value) in [("True", true), ("False", false)] where bytes[index...].starts(with: word.utf8) {
                    index += word.utf8.count
                    return .bool(value)
                }
                throw error("expected True or False")
            case UInt8(ascii: "("): return .tuple(try tuple())
            default: throw error("expected a string, True, False or a tuple")
            }
        }

        mutating func tuple() throws(CodecError) -> [Int] {
            index += 1
            var values: [Int] = []
            while true {
                guard let next = peek() else { throw error("the tuple is not closed") }
                if next == UInt8(ascii: ")") {
                    index += 1
                    return values
                }
                let start = index
                while index < bytes.count, bytes[index] >= 0x30 && bytes[index] <= 0x39 { index += 1 }
                // A Python 2 long suffix ("3L") appears in old files.
                let digits = bytes[start..<index]
                if index < bytes.count, bytes[index] == UInt8(ascii: "L") { index += 1 }
                guard !digits.isEmpty, digits.count <= 18, let value = Int(String(decoding: digits, as: UTF8.self)) else {
                    throw error("a shape entry is not a non-negative integer")
                }
                values.append(value)
                guard values.count <= TensorShape.maxRank else { throw error("the shape has more than \(TensorShape.maxRank) dimensions") }
                guard let separator = peek() else { throw error("the tuple is not closed") }
                if separator == UInt8(ascii: ",") {
                    index += 1
                } else if separator != UInt8(ascii: ")") {
                    throw error("expected ',' or ')' in the shape")
                }
            }
        }
    }
}
