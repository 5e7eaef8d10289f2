#if canImport(Glibc)
import Glibc
#endif
import TensorCodecs

/// An IEEE binary format by its field widths, for decimal-reading tests that cover all four dtypes alike.
public struct BinaryFormat: Sendable, Equatable, CustomStringConvertible {
    public let name: String
    public let fractionBits: Int
    public let exponentBits: Int

    public static let float64 = BinaryFormat(name: "float64", fractionBits: 52, exponentBits: 11)
    public static let float32 = BinaryFormat(name: "float32", fractionBits: 23, exponentBits: 8)
    public static let float16 = BinaryFormat(name: "float16", fractionBits: 10, exponentBits: 5)
    public static let bfloat16 = BinaryFormat(name: "bfloat16", fractionBits: 7, exponentBits: 8)
    public static let all = [float64, float32, float16, bfloat16]

    public var description: String { name }
    public var infinityPattern: UInt64 { ((1 << UInt64(exponentBits)) - 1) << UInt64(fractionBits) }
    var bias: Int { (1 << (exponentBits - 1)) - 1 }

    /// value = significand × 2^exponent for a positive finite pattern.
    public func integerForm(_ pattern: UInt64) -> (significand: UInt64, exponent: Int) {
        let biased = Int(pattern >> UInt64(fractionBits))
        let fraction = pattern & ((1 << UInt64(fractionBits)) - 1)
        let significand = biased == 0 ? fraction : fraction | (1 << UInt64(fractionBits))
        return (significand, (biased == 0 ? 1 : biased) - bias - fractionBits)
    }
}

/// One decimal text and, where the corpus knows it by construction, the pattern (sign bit clear) it must read as.
public struct DecimalCase: Sendable {
    public let text: String
    public let expected: UInt64?
}

/// Decimal texts that exercise a reader's rounding: random digits at every exponent that matters, long mantissas,
/// and the hard cases built exactly around the midpoints between adjacent values (the midpoint itself, which ties
/// to even, and decimals a hair above and below it, from ~2⁻⁸⁰ to 800 digits away).
public struct DecimalCorpus {
    public let format: BinaryFormat
    private var generator: SplitMix64

    public init(format: BinaryFormat, seed: UInt64) {
        self.format = format
        generator = SplitMix64(seed: seed)
    }

    public mutating func next() -> DecimalCase {
        switch generator.next() % 8 {
        case 0: return randomDigits(count: Int(generator.next() % 19) + 1)
        case 1: return plainDecimal()
        case 2: return randomDigits(count: Int(generator.next() % 30) + 20)
        case 3: return nearMidpoint(offsetDigits: nil)
        case 4: return nearMidpoint(offsetDigits: Int(generator.next() % 30))
        case 5: return nearMidpoint(offsetDigits: 800)
        default: return randomDigits(count: Int(generator.next() % 10) + 1)
        }
    }

    /// `count` random digits (no leading zero) at a random exponent from below the smallest subnormal to above
    /// the largest value.
    mutating func randomDigits(count: Int) -> DecimalCase {
        var digits = String(generator.next() % 9 + 1)
        while digits.count < count { digits += String(generator.next() % 10) }
        let decade = Double(format.bias + format.fractionBits + 2) * 0.30103
        let span = Int(decade * 2) + 8
        let exponent = Int(generator.next() % UInt64(span)) - span / 2 - count + 1
        return DecimalCase(text: digits + "e" + String(exponent), expected: nil)
    }

    /// A decimal as Python and NumPy write them, with a point and no exponent: up to 7 integer digits (or "0."
    /// and leading zeros) and up to 20 fraction digits.
    mutating func plainDecimal() -> DecimalCase {
        var integer = generator.next() % 3 == 0 ? "0" : String(generator.next() % 9 + 1)
        if integer != "0" {
            for _ in 0..<(generator.next() % 7) { integer += String(generator.next() % 10) }
        }
        var fraction = integer == "0" ? String(repeating: "0", count: Int(generator.next() % 6)) : ""
        let digits = Int(generator.next() % 20) + 1
        for _ in 0..<digits { fraction += String(generator.next() % 10) }
        return DecimalCase(text: integer + "." + fraction, expected: nil)
    }

    /// A random positive pattern's midpoint with its successor, exactly (`offsetDigits` nil), or a unit in the
    /// `offsetDigits + 1`-th digit past the exact expansion above or below it.
    mutating func nearMidpoint(offsetDigits: Int?) -> DecimalCase {
        let finiteCount = format.infinityPattern
        // Half the time a small pattern, where subnormals and their midpoints live.
        let pattern = generator.next() % 2 == 0 ? generator.next() % finiteCount : generator.next() % (1 << UInt64(format.fractionBits + 2))
        let base = max(pattern, 1)
        let exact = format.midpointText(after: base)
        guard let offsetDigits else {
            // Ties to even; the largest finite value's midpoint rounds to infinity.
            return DecimalCase(text: exact, expected: base & 1 == 0 ? base : base + 1)
        }
        let above = generator.next() % 2 == 0
        return DecimalCase(text: DecimalText.nudged(exact, up: above, places: offsetDigits + 1), expected: above ? base + 1 : base)
    }
}

extension BinaryFormat {
    /// The midpoint between the positive `pattern` and the next one up (infinity after the largest), exactly, as
    /// `digitse±exponent`: (2·significand + 1) × 2^(exponent − 1) = (2·significand + 1) × 5^(1 − exponent) × 10^(exponent − 1).
    public func midpointText(after pattern: UInt64) -> String {
        let (significand, exponent) = integerForm(pattern)
        var digits = BigDecimalDigits(2 * significand + 1)
        if exponent - 1 >= 0 {
            digits.multiply(byPowerOf: 2, exponent - 1)
            return digits.decimalString + "e0"
        }
        digits.multiply(byPowerOf: 5, 1 - exponent)
        return digits.decimalString + "e" + String(exponent - 1)
    }
}

/// Decimal texts of the form `digitse±exponent`.
public enum DecimalText {
    /// One unit in the `places`-th digit past the last of `exact`, added or taken away.
    public static func nudged(_ exact: String, up: Bool, places: Int) -> String {
        let parts = exact.split(separator: "e")
        let exponent = String(Int(parts[1])! - places)
        if up { return parts[0] + String(repeating: "0", count: places - 1) + "1e" + exponent }
        return BigDecimalDigits.decrement(parts[0] + String(repeating: "0", count: places)) + "e" + exponent
    }
}

/// The patterns (sign bit clear) `texts` read as through the JSON reader, as a request's `data` of `format`.
public func readDecimalPatterns(_ texts: [String], format: BinaryFormat) throws -> [UInt64] {
    let document = "{\"dtype\":\"\(format.name)\",\"data\":[\(texts.joined(separator: ","))]}"
    let request = try Array(document.utf8).withUnsafeBytes { try JSONTensorReader.read($0) }
    return request.data.withUnsafeBytes { raw in
        switch format.fractionBits {
        case 52: raw.bindMemory(to: UInt64.self).map { $0 }
        case 23: raw.bindMemory(to: UInt32.self).map { UInt64($0) }
        default: raw.bindMemory(to: UInt16.self).map { UInt64($0) }
        }
    }
}

/// Reads `cases` through `read` (which returns the patterns, sign bit clear, in order) and lists every case that
/// differs from what it must read as: its known value, or else the C library's. Shared by the unit test and the
/// 10-million-input check in `tensor-bench`.
public func decimalMismatches(
    _ cases: [DecimalCase], format: BinaryFormat, read: ([String]) throws -> [UInt64]
) rethrows -> [String] {
    let patterns = try read(cases.map(\.text))
    var mismatches: [String] = []
    for (item, pattern) in zip(cases, patterns) {
        let reference = ReferenceDecimal.pattern(item.text, format: format)
        if let expected = item.expected, expected != reference {
            mismatches.append("reference \(reference) disagrees with the construction \(expected): \(item.text.prefix(60))")
        }
        if pattern != (item.expected ?? reference) {
            mismatches.append("\(format) read \(item.text.prefix(60)) as \(pattern), not \(item.expected ?? reference)")
        }
    }
    return mismatches
}

/// The correctly rounded pattern (sign bit clear) of a positive decimal text, from the C library: strtod and strtof
/// directly, and for the 16-bit formats the doubles just below and above the decimal (directed rounding) with
/// exact rounding of those.
public enum ReferenceDecimal {
    public static func pattern(_ text: String, format: BinaryFormat) -> UInt64 {
        switch format {
        case .float64: return strtod(text, nil).bitPattern
        case .float32: return UInt64(strtof(text, nil).bitPattern)
        default: break
        }
        let down = rounded(text, mode: FE_DOWNWARD), up = rounded(text, mode: FE_UPWARD)
        if down == up { return narrow(down, format: format).pattern }
        // The decimal lies strictly between two adjacent doubles; every midpoint between 16-bit values is a double,
        // so none lies strictly between them. Only `down` itself being a midpoint needs care: the decimal is above.
        let (pattern, isMidpoint) = narrow(down, format: format)
        return isMidpoint ? narrow(up, format: format).pattern : pattern
    }

    private static func rounded(_ text: String, mode: Int32) -> Double {
        let saved = fegetround()
        fesetround(mode)
        defer { fesetround(saved) }
        return strtod(text, nil)
    }

    /// `value` rounded to the format, ties to even, and whether it was exactly halfway.
    static func narrow(_ value: Double, format: BinaryFormat) -> (pattern: UInt64, isMidpoint: Bool) {
        if value.isInfinite { return (format.infinityPattern, false) }
        let minExponent = 1 - format.bias
        let exponent = max(value.exponent, minExponent)
        let quantum = Double(sign: .plus, exponent: exponent - format.fractionBits, significand: 1)
        let scaled = value / quantum  // exact: a power-of-two scaling within range
        let whole = scaled.rounded(.toNearestOrEven)
        let isMidpoint = scaled - scaled.rounded(.down) == 0.5
        let biasedExponent = value.exponent >= minExponent ? UInt64(exponent - minExponent) : 0
        let pattern = (biasedExponent << UInt64(format.fractionBits)) + UInt64(whole)
        return (min(pattern, format.infinityPattern), isMidpoint)
    }
}

/// A non-negative integer in base 10^9 limbs, for writing midpoints exactly.
public struct BigDecimalDigits {
    private var limbs: [UInt64]  // least significant first, each below 10^9

    init(_ value: UInt64) {
        limbs = [value % 1_000_000_000, value / 1_000_000_000 % 1_000_000_000, value / 1_000_000_000_000_000_000]
        while limbs.count > 1 && limbs.last == 0 { limbs.removeLast() }
    }

    mutating func multiply(by factor: UInt64) {
        var carry: UInt64 = 0
        for index in limbs.indices {
            let product = limbs[index] * factor + carry
            limbs[index] = product % 1_000_000_000
            carry = product / 1_000_000_000
        }
        while carry > 0 {
            limbs.append(carry % 1_000_000_000)
            carry /= 1_000_000_000
        }
    }

    /// × base^count, in steps of base^13 (2^13 or 5^13 times a limb stays below 2^64).
    mutating func multiply(byPowerOf base: UInt64, _ count: Int) {
        var remaining = count
        while remaining > 0 {
            let step = min(remaining, 13)
            var factor: UInt64 = 1
            for _ in 0..<step { factor *= base }
            multiply(by: factor)
            remaining -= step
        }
    }

    var decimalString: String {
        var text = String(limbs.last!)
        for limb in limbs.dropLast().reversed() {
            let part = String(limb)
            text += String(repeating: "0", count: 9 - part.count) + part
        }
        return text
    }

    /// The decimal string of one less than a positive decimal string.
    static func decrement(_ text: String) -> String {
        var digits = Array(text.utf8)
        var index = digits.count - 1
        while digits[index] == UInt8(ascii: "0") {
            digits[index] = UInt8(ascii: "9")
            index -= 1
        }
        digits[index] -= 1
        let trimmed = digits.drop { $0 == UInt8(ascii: "0") }
        return trimmed.isEmpty ? "0" : String(decoding: trimmed, as: UTF8.self)
    }
}
