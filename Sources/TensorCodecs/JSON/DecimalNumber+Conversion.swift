import CNumberText
import Foundation
import TensorKernels

/// Correctly rounded conversion of a scanned decimal into each dtype, straight from the decimal to the target format.
///
/// Steps that each answer only where they are exact: for float64, Clinger's fast path (at most 2^53 and a power of
/// ten that is itself exact, so one IEEE operation rounds once); then `tk_decimal_to_binary`, which for the narrower
/// formats first tries one double multiplication (its error bound keeps it away from every midpoint) and then
/// Eisel–Lemire, and declines rather than guess; then, for the few decimals it declines (exact ties with a negative
/// power of ten, or digits past the 19th that straddle a rounding boundary), the C library's correctly rounded
/// conversion.
extension DecimalNumber {
    func double(in bytes: UnsafeRawBufferPointer) -> Double {
        if let special = specialValue() { return special }
        if !isTruncated && mantissa <= 1 << 53 && abs(exponent) <= 22 {
            let power = tk_nearest_power_of_ten(Int32(abs(exponent)))
            let value = exponent >= 0 ? Double(mantissa) * power : Double(mantissa) / power
            return isNegative ? -value : value
        }
        if let pattern = pattern(in: Self.float64Format) {
            return Double(bitPattern: pattern | (isNegative ? 1 << 63 : 0))
        }
        return CLocaleNumbers.strtod(bytes, text)
    }

    func float(in bytes: UnsafeRawBufferPointer) -> Float {
        if let special = specialValue() { return Float(special) }
        if let pattern = pattern(in: Self.float32Format) {
            return Float(bitPattern: UInt32(truncatingIfNeeded: pattern) | (isNegative ? 1 << 31 : 0))
        }
        return CLocaleNumbers.strtof(bytes, text)
    }

    func float16Bits(in bytes: UnsafeRawBufferPointer) -> UInt16 {
        narrowBits(in: bytes, format: .float16)
    }

    func bfloat16Bits(in bytes: UnsafeRawBufferPointer) -> UInt16 {
        narrowBits(in: bytes, format: .bfloat16)
    }

    private func narrowBits(in bytes: UnsafeRawBufferPointer, format: NarrowFormat) -> UInt16 {
        let sign: UInt16 = isNegative ? 0x8000 : 0
        switch special {
        case .nan: return format.quietNaN
        case .infinity: return sign | format.infinityBits
        case .none: break
        }
        if let pattern = pattern(in: format.binaryFormat) { return sign | UInt16(truncatingIfNeeded: pattern) }
        return exactNarrowBits(in: bytes, format: format)
    }

    /// The nearest 16-bit value from the decimal's text: round it to the nearest double d (correct), then d to 16
    /// bits; d being exactly halfway between two 16-bit values is the one case where the decimal itself must decide.
    /// Slow (several passes of the C library), so only for what `pattern(in:)` declines, and as the tests' reference.
    func exactNarrowBits(in bytes: UnsafeRawBufferPointer, format: NarrowFormat) -> UInt16 {
        if special == .nan { return format.quietNaN }
        let nearest = CLocaleNumbers.strtod(bytes, text)
        let (bits, isTie) = format.nearest(to: nearest)
        guard isTie else { return bits }
        let (below, above) = format.bracket(nearest)
        let towardZero = CLocaleNumbers.withRounding(FE_TOWARDZERO) { CLocaleNumbers.strtod(bytes, text) }
        if towardZero != nearest { return below }
        let awayFromZero = CLocaleNumbers.withRounding(isNegative ? FE_DOWNWARD : FE_UPWARD) {
            CLocaleNumbers.strtod(bytes, text)
        }
        return awayFromZero == nearest ? bits : above
    }

    /// The magnitude's pattern in `format`, or nil where only the exact decimal can decide.
    private func pattern(in format: tk_binary_format) -> UInt64? {
        var pattern: UInt64 = 0
        guard tk_decimal_to_binary(mantissa, Int64(exponent), isTruncated, format, &pattern) else { return nil }
        return pattern
    }

    private func specialValue() -> Double? {
        switch special {
        case .none: nil
        case .nan: .nan
        case .infinity: isNegative ? -.infinity : .infinity
        }
    }

    // Computed, not stored: a stored static is a lazily initialised global, checked on every use.
    static var float64Format: tk_binary_format { tk_binary_format(fraction_bits: 52, exponent_bits: 11) }
    static var float32Format: tk_binary_format { tk_binary_format(fraction_bits: 23, exponent_bits: 8) }
}

/// The C library's correctly rounded conversions, in the C locale whatever the process's locale is.
enum CLocaleNumbers {
    static func strtod(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Double {
        withCString(bytes, range) { tk_strtod_c($0) }
    }

    static func strtof(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Float {
        withCString(bytes, range) { tk_strtof_c($0) }
    }

    static func withRounding<Value>(_ mode: Int32, _ body: () -> Value) -> Value {
        let saved = fegetround()
        fesetround(mode)
        defer { fesetround(saved) }
        return body()
    }

    private static func withCString<Value>(
        _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ body: (UnsafePointer<CChar>) -> Value
    ) -> Value {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: range.count + 1) { buffer in
            for (offset, index) in range.enumerated() { buffer[offset] = CChar(bitPattern: bytes[index]) }
            buffer[range.count] = 0
            return body(buffer.baseAddress!)
        }
    }
}

