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
}
