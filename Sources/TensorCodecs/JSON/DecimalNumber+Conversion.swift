import CNumberText
import Foundation
import TensorKernels

/// Correctly rounded conversion of a scanned decimal into each dtype.
///
/// Fast paths: with at most 19 digits and a small exponent, one exact operation gives the correctly rounded value
/// (Clinger's method, in Float80 where the CPU has it so 19 digits fit). A second rounding to a narrower type is
/// only wrong when the wide result sits exactly halfway between two values of the narrow type; that case, and
/// every number outside the fast path, goes to `strtod`/`strtof`, which round correctly.
extension DecimalNumber {
    func double(in bytes: UnsafeRawBufferPointer) -> Double {
        if let special = specialValue() { return special }
        if !isTruncated {
            if mantissa <= 1 << 53 && abs(exponent) <= 22 {
                let value = exponent >= 0 ? Double(mantissa) * Self.powersOf10[exponent] : Double(mantissa) / Self.powersOf10[-exponent]
                return isNegative ? -value : value
            }
            #if arch(x86_64)
            if let wide = wideValue(), let value = Self.nearest(Double(wide), to: wide) { return value }
            #endif
        }
        return CLocaleNumbers.strtod(bytes, text)
    }

    func float(in bytes: UnsafeRawBufferPointer) -> Float {
        if let special = specialValue() { return Float(special) }
        if !isTruncated {
            if mantissa <= 1 << 24 && abs(exponent) <= 10 {
                let power = Float(Self.powersOf10[abs(exponent)])
                let value = exponent >= 0 ? Float(mantissa) * power : Float(mantissa) / power
                return isNegative ? -value : value
            }
            #if arch(x86_64)
            if let wide = wideValue(), let value = Self.nearest(Float(wide), to: wide) { return value }
            #endif
        }
        return CLocaleNumbers.strtof(bytes, text)
    }

    func float16Bits(in bytes: UnsafeRawBufferPointer) -> UInt16 {
        narrowBits(in: bytes, format: .float16)
    }

    func bfloat16Bits(in bytes: UnsafeRawBufferPointer) -> UInt16 {
        narrowBits(in: bytes, format: .bfloat16)
    }

    /// The nearest 16-bit value: round the decimal to the nearest double d (correct), then d to 16 bits; d being
    /// exactly halfway between two 16-bit values is the one case where the decimal itself must decide.
    private func narrowBits(in bytes: UnsafeRawBufferPointer, format: NarrowFormat) -> UInt16 {
        let nearest = double(in: bytes)
        if nearest.isNaN { return format.quietNaN }
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

    private func specialValue() -> Double? {
        switch special {
        case .none: nil
        case .nan: .nan
        case .infinity: isNegative ? -.infinity : .infinity
        }
    }

    #if arch(x86_64)
    /// mantissa × 10^exponent rounded once to 64 bits, when both operands are exact in Float80.
    private func wideValue() -> Float80? {
        guard abs(exponent) <= 27 else { return nil }
        let power = Self.widePowersOf10[abs(exponent)]
        let value = exponent >= 0 ? Float80(mantissa) * power : Float80(mantissa) / power
        return isNegative ? -value : value
    }

    static let widePowersOf10: [Float80] = (0...27).map { exponent in
        var value: Float80 = 1
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    /// `candidate` when it is strictly the nearest value of its type to `wide`; nil for a tie or a wrong guess.
    static func nearest<T: BinaryFloatingPoint>(_ candidate: T, to wide: Float80) -> T? {
        let exact = Float80(candidate)
        if exact == wide { return candidate }
        guard candidate.isFinite else { return nil }
        let distance = abs(wide - exact)
        let up = candidate.nextUp, down = candidate.nextDown
        if up.isFinite && !(distance < abs(Float80(up) - wide)) { return nil }
        if down.isFinite && !(distance < abs(wide - Float80(down))) { return nil }
        return candidate
    }
    #endif

    static let powersOf10: [Double] = (0...22).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }
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

