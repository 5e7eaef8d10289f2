/// A shortest decimal written as Python's repr writes a float: positional for decimal exponents -4…15 (`150.0`,
/// `0.001`), scientific otherwise (`6e-08`), so a client's `json.loads` sees the text it would have printed itself.
enum PythonText {
    static func text(_ decimal: NarrowShortest.Decimal) -> String {
        let digits = String(decimal.digits)
        // The exponent of the first digit: d.ddd × 10^exponent.
        let exponent = decimal.exponent + digits.count - 1
        if exponent < -4 || exponent >= 16 {
            let head = digits.prefix(1), tail = digits.dropFirst()
            let exponentText = (exponent < 0 ? "-" : "+") + (abs(exponent) < 10 ? "0" : "") + String(abs(exponent))
            return head + (tail.isEmpty ? "" : "." + tail) + "e" + exponentText
        }
        if exponent < 0 {
            return "0." + String(repeating: "0", count: -exponent - 1) + digits
        }
        if digits.count <= exponent + 1 {
            return digits + String(repeating: "0", count: exponent + 1 - digits.count) + ".0"
        }
        let split = digits.index(digits.startIndex, offsetBy: exponent + 1)
        return digits[..<split] + "." + digits[split...]
    }

    /// The text of a non-negative pattern (sign bit clear): NaN, Infinity and zero as Python's json writes them.
    static func text(magnitude bits: UInt16, format: NarrowLayout) -> String {
        if bits > format.infinityBits { return "NaN" }
        if bits == format.infinityBits { return "Infinity" }
        if bits == 0 { return "0.0" }
        return text(NarrowShortest.shortest(bits, format: format))
    }
}
