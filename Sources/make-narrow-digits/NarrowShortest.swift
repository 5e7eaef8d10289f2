import Foundation

/// The shortest decimal that reads back to a float16 or bfloat16 value, found with exact integer arithmetic.
///
/// A pattern owns the interval of reals that round to it: half a unit either side, except at a power of two,
/// where the unit below is half the unit above; the ends belong to it when its significand is even (ties round
/// to even). For each decimal exponent from the value's own downwards, the integers whose multiple of 10^q lies
/// in that interval are found by exact division; the first exponent that has one gives the fewest digits, and of
/// those the one nearest the value is taken. Trying the nearest decimal of 1, 2, 3… digits instead misses the wider
/// side of a power of two (bfloat16 2⁻⁵⁹ came out as `1.735e-18` where `1.74e-18` reads back the same).
enum NarrowShortest {
    /// `digits` × 10^`exponent`, with no trailing zero in `digits`.
    struct Decimal: Equatable {
        var digits: UInt64
        var exponent: Int
    }

    /// The shortest decimal for a positive, finite, non-zero pattern (sign bit clear).
    static func shortest(_ bits: UInt16, format: NarrowLayout) -> Decimal {
        let (fractionBits, bias) = (format.fractionBits, format.bias)
        let biasedExponent = Int(bits >> UInt16(fractionBits))
        let fraction = UInt64(bits) & ((1 << UInt64(fractionBits)) - 1)
        precondition(bits != 0 && bits < format.infinityBits, "a positive finite pattern")
        // value = significand × 2^binaryExponent
        let significand = biasedExponent == 0 ? fraction : fraction | (1 << UInt64(fractionBits))
        let binaryExponent = (biasedExponent == 0 ? 1 : biasedExponent) - bias - fractionBits
        // In units of 2^(binaryExponent - 2): the value is 4m, the interval runs from `low` to `high`.
        let value = UInt128(4 * significand)
        let isPowerOfTwoStep = fraction == 0 && biasedExponent > 1
        let low = UInt128(4 * significand - (isPowerOfTwoStep ? 1 : 2))
        let high = UInt128(4 * significand + 2)
        let includesEnds = significand % 2 == 0
        let unitExponent = binaryExponent - 2

        // One above the value's decimal exponent, so a rounding error in the estimate cannot skip the shortest.
        let magnitude = Double(significand) * Double(sign: .plus, exponent: binaryExponent, significand: 1)
        var exponent = Int(log10(magnitude).rounded(.down)) + 1
        while true {
            // x · 2^unitExponent / 10^exponent as the exact fraction numerator(x) / denominator.
            let twos = unitExponent - exponent
            let numeratorScale = (twos > 0 ? UInt128(1) << UInt128(twos) : 1) * (exponent < 0 ? power5[-exponent] : 1)
            let denominator = (twos < 0 ? UInt128(1) << UInt128(-twos) : 1) * (exponent > 0 ? power5[exponent] : 1)
            let (lowQuotient, lowRemainder) = (low * numeratorScale).quotientAndRemainder(dividingBy: denominator)
            let (highQuotient, highRemainder) = (high * numeratorScale).quotientAndRemainder(dividingBy: denominator)
            let first = lowRemainder == 0 && includesEnds ? lowQuotient : lowQuotient + 1
            let last = highRemainder == 0 && !includesEnds ? highQuotient - 1 : highQuotient
            if first <= last {
                let (valueQuotient, valueRemainder) = (value * numeratorScale).quotientAndRemainder(dividingBy: denominator)
                // Nearest to the value, ties to even, kept inside the interval.
                var nearest = valueQuotient
                let twice = valueRemainder * 2
                if twice > denominator || (twice == denominator && valueQuotient % 2 == 1) { nearest += 1 }
                nearest = min(max(nearest, first), last)
                var decimal = Decimal(digits: UInt64(nearest), exponent: exponent)
                while decimal.digits % 10 == 0 {
                    decimal.digits /= 10
                    decimal.exponent += 1
                }
                return decimal
            }
            exponent -= 1
        }
    }

    /// 5^0 … 5^55, the largest that fits in 128 bits; bfloat16 needs at most 5^45 or so.
    private static let power5: [UInt128] = {
        var powers: [UInt128] = [1]
        for _ in 1...55 { powers.append(powers[powers.count - 1] * 5) }
        return powers
    }()
}
