import CNumberText
import TensorKernels

/// float16 and bfloat16 as bit patterns, with exact round-to-nearest-even from a double.
///
/// Swift has no bfloat16, and a double → float → 16-bit chain rounds twice, so both formats are rounded here by
/// comparing with their two neighbouring values exactly.
enum NarrowFormat {
    case float16
    case bfloat16

    /// The pattern of +infinity.
    var infinityBits: UInt16 { self == .float16 ? 0x7C00 : 0x7F80 }

    var quietNaN: UInt16 { self == .float16 ? 0x7E00 : 0x7FC0 }

    /// Its field widths, for the decimal reader.
    var binaryFormat: tk_binary_format {
        self == .float16 ? tk_binary_format(fraction_bits: 10, exponent_bits: 5) : tk_binary_format(fraction_bits: 7, exponent_bits: 8)
    }

    /// The value of a non-negative pattern; +infinity's pattern stands for the first power of two past the largest
    /// finite value, which is where rounding to infinity begins.
    func magnitude(_ bits: UInt16) -> Double {
        switch self {
        case .float16: bits == 0x7C00 ? 65536 : Double(Float(Float16(bitPattern: bits)))
        case .bfloat16: bits == 0x7F80 ? 0x1p128 : Double(BFloat16Bits.float(from: bits))
        }
    }

    /// The non-negative patterns just below (or at) and just above |value|.
    func bracket(magnitude value: Double) -> (UInt16, UInt16) {
        var low = approximate(value)
        while low > 0 && magnitude(low) > value { low -= 1 }
        while low < infinityBits && magnitude(low + 1) <= value { low += 1 }
        return (low, min(low + 1, infinityBits))
    }

    /// The patterns toward and away from zero around `value`, with its sign.
    func bracket(_ value: Double) -> (towardZero: UInt16, awayFromZero: UInt16) {
        let sign: UInt16 = value.sign == .minus ? 0x8000 : 0
        let (low, high) = bracket(magnitude: abs(value))
        return (sign | low, sign | high)
    }

    /// Round to nearest, ties to even; `isTie` when `value` is exactly halfway.
    func nearest(to value: Double) -> (bits: UInt16, isTie: Bool) {
        let sign: UInt16 = value.sign == .minus ? 0x8000 : 0
        let target = abs(value)
        if target.isInfinite { return (sign | infinityBits, false) }
        let (low, high) = bracket(magnitude: target)
        let lowValue = magnitude(low)
        if lowValue == target || low == infinityBits { return (sign | low, false) }
        let below = target - lowValue, above = magnitude(high) - target
        if below < above { return (sign | low, false) }
        if above < below { return (sign | high, false) }
        return (sign | (low & 1 == 0 ? low : high), true)
    }

    /// A guess within a pattern or two of the answer, from the hardware conversion.
    private func approximate(_ value: Double) -> UInt16 {
        switch self {
        case .float16: Float16(value).bitPattern & 0x7FFF
        case .bfloat16: min(UInt16(truncatingIfNeeded: Float(value).bitPattern >> 16), 0x7F80)
        }
    }
}
