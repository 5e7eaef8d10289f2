/// A JSON number as scanned: sign, up to 19 significant digits and a decimal exponent, or a special token.
///
/// Keeping the digits as an integer lets most numbers convert with one exact floating-point operation; the rest
/// (more than 19 digits, far exponents, exact ties) go through the C library's correctly rounded conversion.
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
        var number = DecimalNumber()
        var index = start
        let end = bytes.count
        if index < end && bytes[index] == UInt8(ascii: "-") {
            number.isNegative = true
            index += 1
        }
        guard index < end else { return nil }
        let first = bytes[index]
        if first == UInt8(ascii: "N") || first == UInt8(ascii: "I") {
            let token: StaticString = first == UInt8(ascii: "N") ? "NaN" : "Infinity"
            if first == UInt8(ascii: "N") && number.isNegative { return nil }
            guard matches(token, bytes, at: index) else { return nil }
            number.special = first == UInt8(ascii: "N") ? .nan : .infinity
            number.text = start..<(index + token.utf8CodeUnitCount)
            return number
        }
        guard isDigit(first) else { return nil }

        var digits = 0
        var dropped = 0
        // Integer part: a single 0, or a non-zero digit and more.
        if first == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < end && isDigit(bytes[index]) {
                number.accumulate(bytes[index], digits: &digits, dropped: &dropped)
                index += 1
            }
        }
        var fractionDigits = 0
        if index < end && bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < end && isDigit(bytes[index]) else { return nil }
            while index < end && isDigit(bytes[index]) {
                number.accumulate(bytes[index], digits: &digits, dropped: &dropped)
                fractionDigits += 1
                index += 1
            }
        }
        var exponent = 0
        if index < end && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
            index += 1
            var negative = false
            if index < end && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) {
                negative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            guard index < end && isDigit(bytes[index]) else { return nil }
            while index < end && isDigit(bytes[index]) {
                // Clamp: any exponent this large already means 0 or infinity.
                if exponent < 100_000 { exponent = exponent &* 10 &+ Int(bytes[index] &- 0x30) }
                index += 1
            }
            if negative { exponent = -exponent }
        }
        number.exponent = exponent &- fractionDigits &+ dropped
        number.text = start..<index
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

    private mutating func accumulate(_ digit: UInt8, digits: inout Int, dropped: inout Int) {
        // Leading zeros are not significant.
        if mantissa == 0 && digit == UInt8(ascii: "0") && digits == 0 { return }
        if digits < 19 {
            // 19 digits always fit in 64 bits, so the arithmetic cannot wrap.
            mantissa = mantissa &* 10 &+ UInt64(digit &- 0x30)
            digits += 1
        } else {
            dropped += 1
            if digit != UInt8(ascii: "0") { isTruncated = true }
        }
    }

    private static func matches(_ token: StaticString, _ bytes: UnsafeRawBufferPointer, at index: Int) -> Bool {
        let count = token.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        for offset in 0..<count where bytes[index + offset] != token.utf8Start[offset] { return false }
        return true
    }

    @inline(__always) static func isDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }
}
