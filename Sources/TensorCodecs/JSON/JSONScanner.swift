/// Byte-level JSON reading shared by the tensor and KServe decoders: whitespace, strings, numbers, skipping.
///
/// Errors name the byte offset, so a client can find the problem in a large body.
struct JSONScanner {
    let bytes: UnsafeRawBufferPointer
    var index = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Nesting deeper than this is refused rather than risk the stack.
    static let maxDepth = 64

    var isAtEnd: Bool { index >= bytes.count }

    var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    func error(_ what: String) -> CodecError {
        .malformed("malformed JSON at byte \(index): \(what)")
    }

    func describeCurrent() -> String {
        guard let current else { return "the end of the body" }
        if current >= 0x20 && current < 0x7F { return "'\(Character(Unicode.Scalar(current)))'" }
        return "byte 0x\(String(current, radix: 16))"
    }

    /// Consumes `byte` after any whitespace; `what` is only built for the error message.
    mutating func expect(_ byte: UInt8, _ what: @autoclosure () -> String) throws(CodecError) {
        skipWhitespace()
        guard current == byte else { throw error("expected \(what()), found \(describeCurrent())") }
        index += 1
    }

    /// Reads a string (escapes decoded), with the opening quote at `index`.
    mutating func readString() throws(CodecError) -> String {
        skipWhitespace()
        guard current == UInt8(ascii: "\"") else { throw error("expected a string, found \(describeCurrent())") }
        index += 1
        var run = index
        var text = ""
        while true {
            guard index < bytes.count else { throw error("unterminated string") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                try appendValidated(run..<index, to: &text)
                index += 1
                return text
            }
            if byte < 0x20 { throw error("control character in a string") }
            if byte == UInt8(ascii: "\\") {
                try appendValidated(run..<index, to: &text)
                index += 1
                guard let escaped = current else { throw error("unterminated escape") }
                index += 1
                switch escaped {
                case UInt8(ascii: "\""): text += "\""
                case UInt8(ascii: "\\"): text += "\\"
                case UInt8(ascii: "/"): text += "/"
                case UInt8(ascii: "b"): text += "\u{08}"
                case UInt8(ascii: "f"): text += "\u{0C}"
                case UInt8(ascii: "n"): text += "\n"
                case UInt8(ascii: "r"): text += "\r"
                case UInt8(ascii: "t"): text += "\t"
                case UInt8(ascii: "u"):
                    let escapeStart = index - 2
                    let code = try readHexQuad()
                    var scalar = Unicode.Scalar(code)
                    // RFC 8259 §7: a character outside the BMP is a surrogate pair, "\ud83d\ude00" as Python writes it.
                    if (0xD800...0xDBFF).contains(code), bytes.count >= index + 6, bytes[index] == UInt8(ascii: "\\"),
                        bytes[index + 1] == UInt8(ascii: "u")
                    {
                        index += 2
                        let low = try readHexQuad()
                        if (0xDC00...0xDFFF).contains(low) {
                            scalar = Unicode.Scalar(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00))
                        }
                    }
                    guard let scalar else {
                        index = escapeStart
                        throw error("a \\u escape is a lone UTF-16 surrogate")
                    }
                    text.unicodeScalars.append(scalar)
                default: throw error("unknown escape")
                }
                run = index
                continue
            }
            index += 1
        }
    }

    /// Four hexadecimal digits after `\u`, exactly (no sign, no fewer).
    private mutating func readHexQuad() throws(CodecError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("bad \\u escape") }
        var code: UInt32 = 0
        for offset in 0..<4 {
            let byte = bytes[index + offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("bad \\u escape")
            }
            code = code << 4 | UInt32(digit)
        }
        index += 4
        return code
    }

    /// Appends the raw bytes of a string's run, which must be UTF-8 (RFC 8259 §8.1): an invalid sequence is an error
    /// at its own byte offset, never a U+FFFD passed on (or echoed back in a KServe id).
    private mutating func appendValidated(_ run: Range<Int>, to text: inout String) throws(CodecError) {
        let raw = UnsafeRawBufferPointer(rebasing: bytes[run])
        if let bad = UTF8Validation.firstInvalidOffset(in: raw) {
            index = run.lowerBound + bad
            throw error("invalid UTF-8 in a string")
        }
        text += String(decoding: raw, as: UTF8.self)
    }

    /// Reads a number or NaN/Infinity token at `index`.
    mutating func readNumber() throws(CodecError) -> DecimalNumber {
        skipWhitespace()
        guard let number = DecimalNumber.scan(bytes, at: index) else {
            throw error("expected a number, found \(describeCurrent())")
        }
        index = number.text.upperBound
        return number
    }

    /// Skips any JSON value.
    mutating func skipValue(depth: Int = 0) throws(CodecError) {
        guard depth < Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth)") }
        skipWhitespace()
        switch current {
        case UInt8(ascii: "\""): _ = try readString()
        case UInt8(ascii: "{"):
            try forEachMember { _, _, scanner throws(CodecError) in try scanner.skipValue(depth: depth + 1) }
        case UInt8(ascii: "["):
            try forEachElement { _, scanner throws(CodecError) in try scanner.skipValue(depth: depth + 1) }
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: _ = try readNumber()
        }
    }

    mutating func literal(_ word: StaticString) throws(CodecError) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count,
            (0..<count).allSatisfy({ bytes[index + $0] == word.utf8Start[$0] })
        else { throw error("unexpected \(describeCurrent())") }
        index += count
    }

    /// A whole number that fits an `Int`, negative or not (`4`, `-1`, `4.0`, `4e2`); anything else names `name`.
    mutating func readInteger(name: String) throws(CodecError) -> Int {
        let start = index
        guard let first = current, first == UInt8(ascii: "-") || (first >= 0x30 && first <= 0x39) else {
            throw .malformed("\(name) at byte \(start) is not an integer")
        }
        let number = try readNumber()
        guard number.special == .none, !number.isTruncated, number.exponent <= 18 else {
            throw .malformed("\(name) at byte \(start) is not an integer that fits 64 bits")
        }
        var mantissa = number.mantissa
        var exponent = number.exponent
        // A fraction of zeros (4.0) is still whole.
        while exponent < 0 && mantissa % 10 == 0 && mantissa != 0 {
            mantissa /= 10
            exponent += 1
        }
        if mantissa == 0 { exponent = 0 }
        guard exponent >= 0, mantissa <= UInt64(Int.max) else { throw .malformed("\(name) at byte \(start) is not an integer") }
        var value = Int(mantissa)
        for _ in 0..<exponent {
            let (product, overflow) = value.multipliedReportingOverflow(by: 10)
            guard !overflow else { throw .malformed("\(name) at byte \(start) is too large") }
            value = product
        }
        return number.isNegative ? -value : value
    }

    /// Reads a JSON array of non-negative integers (a shape).
    mutating func readIntegerArray(name: String) throws(CodecError) -> [Int] {
        try expect(UInt8(ascii: "["), "'[' to open \(name)")
        var values: [Int] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") { index += 1; return values }
        while true {
            let start = index
            let number = try readNumber()
            guard number.special == .none, !number.isNegative, !number.isTruncated, number.exponent >= 0,
                number.mantissa <= UInt64(Int.max / 10), number.exponent <= 18
            else { throw CodecError.malformed("\(name)[\(values.count)] at byte \(start) is not a non-negative integer") }
            var value = Int(number.mantissa)
            for _ in 0..<number.exponent {
                let (product, overflow) = value.multipliedReportingOverflow(by: 10)
                guard !overflow else { throw CodecError.malformed("\(name)[\(values.count)] is too large") }
                value = product
            }
            values.append(value)
            guard values.count <= TensorShape.maxRank else {
                throw CodecError.malformed("\(name) has more than \(TensorShape.maxRank) dimensions")
            }
            skipWhitespace()
            if current == UInt8(ascii: "]") { index += 1; return values }
            try expect(UInt8(ascii: ","), "',' or ']' in \(name)")
        }
    }
}
