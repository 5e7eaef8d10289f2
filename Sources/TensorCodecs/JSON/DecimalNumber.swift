import CNumberText

/// A JSON number as scanned: sign, up to 19 significant digits and a decimal exponent, or a special token.
///
/// Keeping the digits as an integer lets every dtype be rounded once, straight from the decimal
/// (`DecimalNumber+Conversion`); the text stays known for the rare decimal that needs its every digit.
struct DecimalNumber {
    enum Special { case none, nan, infinity }

    var isNegative = false
    /// The first 19 significant digits.
    var mantissa: UInt64 = 0
    /// value = mantissa × 10^exponent (when not truncated).
    var exponent = 0
    /// More significant digits followed than `mantissa` holds.
    var isTruncated = false
    var special = Special.none
    /// Where the number's text lies in the input, for the slow path and for messages.
    var text: Range<Int> = 0..<0
}

extension DecimalNumber {
    /// Scans a JSON number (RFC 8259 §6) or `NaN`, `Infinity`, `-Infinity` at `start`.
    /// Returns nil when no valid number starts there.
    static func scan(_ bytes: UnsafeRawBufferPointer, at start: Int) -> DecimalNumber? {
        var scanned = tk_decimal()
        guard let base = bytes.baseAddress,
            tk_scan_decimal(base.assumingMemoryBound(to: UInt8.self), bytes.count, start, &scanned)
        else { return nil }
        var number = DecimalNumber()
        number.isNegative = scanned.is_negative != 0
        number.mantissa = scanned.digits
        number.exponent = Int(scanned.exponent)
        number.isTruncated = scanned.is_truncated != 0
        number.special = scanned.special == UInt8(TK_DECIMAL_NAN) ? .nan : scanned.special == UInt8(TK_DECIMAL_INFINITY) ? .infinity : .none
        number.text = start..<scanned.end
        return number
    }

    /// The end of a valid number (or NaN/Infinity token) at `start`, without reading its value; nil if none.
    /// The first pass over `data` only needs the syntax, so it skips the digit arithmetic.
    static func end(in bytes: UnsafeRawBufferPointer, at start: Int) -> Int? {
        var index = start
        let end = bytes.count
        if index < end && bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < end else { return nil }
        let first = bytes[index]
        if !isDigit(first) {
            if first == UInt8(ascii: "I") && matches("Infinity", bytes, at: index) { return index + 8 }
            if first == UInt8(ascii: "N") && index == start && matches("NaN", bytes, at: index) { return index + 3 }
            return nil
        }
        index += 1
        if first != UInt8(ascii: "0") {
            while index < end && isDigit(bytes[index]) { index += 1 }
        }
        if index < end && bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < end && isDigit(bytes[index]) else { return nil }
            while index < end && isDigit(bytes[index]) { index += 1 }
        }
        if index < end && (bytes[index] | 0x20) == UInt8(ascii: "e") {
            index += 1
            if index < end && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) { index += 1 }
            guard index < end && isDigit(bytes[index]) else { return nil }
            while index < end && isDigit(bytes[index]) { index += 1 }
        }
        return index
    }

    private static func matches(_ token: StaticString, _ bytes: UnsafeRawBufferPointer, at index: Int) -> Bool {
        let count = token.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        for offset in 0..<count where bytes[index + offset] != token.utf8Start[offset] { return false }
        return true
    }

    @inline(__always) static func isDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }
}
