import CNumberText
import TensorKernels

/// The shortest decimal that reads back to the same value, per dtype, written into a caller's buffer.
///
/// float32 and float64 use the Swift runtime's shortest round-trip printer (what `description` prints) without
/// making a String per element. float16 and bfloat16 have only 65,536 values each: each is printed once, lazily
/// (`NarrowShortest`, exact integer arithmetic, a few milliseconds per format), and then looked up.
enum ShortestDecimal {
    /// Longest text any element can take ("-2.2250738585072014e-308" and "-Infinity" fit).
    static let maxLength = 32

    static func write(float value: Float, to output: UnsafeMutablePointer<UInt8>) -> Int {
        if !value.isFinite { return writeSpecial(Double(value), to: output) }
        // This runtime's printers leave the positions of some '0' digits unwritten, expecting a buffer that
        // already holds '0's; filling it first gives exactly `description`'s text (checked by a unit test).
        output.initialize(repeating: UInt8(ascii: "0"), count: maxLength)
        return output.withMemoryRebound(to: CChar.self, capacity: maxLength) {
            swift_float32ToString($0, maxLength, value, false)
        }
    }

    static func write(double value: Double, to output: UnsafeMutablePointer<UInt8>) -> Int {
        if !value.isFinite { return writeSpecial(value, to: output) }
        output.initialize(repeating: UInt8(ascii: "0"), count: maxLength)
        return output.withMemoryRebound(to: CChar.self, capacity: maxLength) {
            swift_float64ToString($0, maxLength, value, false)
        }
    }

    static func write(float16Bits bits: UInt16, to output: UnsafeMutablePointer<UInt8>) -> Int {
        float16Table.write(bits, to: output)
    }

    static func write(bfloat16Bits bits: UInt16, to output: UnsafeMutablePointer<UInt8>) -> Int {
        bfloat16Table.write(bits, to: output)
    }

    /// NaN and the infinities as Python's json module writes them.
    private static func writeSpecial(_ value: Double, to output: UnsafeMutablePointer<UInt8>) -> Int {
        let text: StaticString = value.isNaN ? "NaN" : (value < 0 ? "-Infinity" : "Infinity")
        output.update(from: text.utf8Start, count: text.utf8CodeUnitCount)
        return text.utf8CodeUnitCount
    }

    static let float16Table = NarrowTable(format: .float16)
    static let bfloat16Table = NarrowTable(format: .bfloat16)

    /// Every pattern's shortest text, packed: offsets into one byte array.
    final class NarrowTable: Sendable {
        private let text: [UInt8]
        private let offsets: [UInt32]

        init(format: NarrowFormat) {
            var text: [UInt8] = []
            var offsets: [UInt32] = [0]
            text.reserveCapacity(65_536 * 8)
            offsets.reserveCapacity(65_537)
            for bits in 0...UInt16.max {
                text += Self.shortest(bits, format: format)
                offsets.append(UInt32(text.count))
            }
            self.text = text
            self.offsets = offsets
        }

        func write(_ bits: UInt16, to output: UnsafeMutablePointer<UInt8>) -> Int {
            let start = Int(offsets[Int(bits)]), end = Int(offsets[Int(bits) + 1])
            text.withUnsafeBufferPointer { output.update(from: $0.baseAddress! + start, count: end - start) }
            return end - start
        }

        private static func shortest(_ bits: UInt16, format: NarrowFormat) -> [UInt8] {
            let magnitudeBits = bits & 0x7FFF
            let isNegative = bits & 0x8000 != 0
            if magnitudeBits > format.infinityBits { return Array("NaN".utf8) }
            if magnitudeBits == format.infinityBits { return Array((isNegative ? "-Infinity" : "Infinity").utf8) }
            if magnitudeBits == 0 { return Array((isNegative ? "-0.0" : "0.0").utf8) }
            let decimal = NarrowShortest.shortest(magnitudeBits, format: format)
            return Array(pythonStyle(decimal, isNegative: isNegative).utf8)
        }

        /// Positional for decimal exponents -4…15 (`150.0`, `0.001`), scientific otherwise (`6e-08`), like Python's
        /// repr.
        private static func pythonStyle(_ decimal: NarrowShortest.Decimal, isNegative: Bool) -> String {
            let digits = String(decimal.digits)
            // The exponent of the first digit: d.ddd × 10^exponent.
            let exponent = decimal.exponent + digits.count - 1
            let sign = isNegative ? "-" : ""
            if exponent < -4 || exponent >= 16 {
                let head = digits.prefix(1), tail = digits.dropFirst()
                let exponentText = (exponent < 0 ? "-" : "+") + (abs(exponent) < 10 ? "0" : "") + String(abs(exponent))
                return sign + head + (tail.isEmpty ? "" : "." + tail) + "e" + exponentText
            }
            if exponent < 0 {
                return sign + "0." + String(repeating: "0", count: -exponent - 1) + digits
            }
            if digits.count <= exponent + 1 {
                return sign + digits + String(repeating: "0", count: exponent + 1 - digits.count) + ".0"
            }
            let split = digits.index(digits.startIndex, offsetBy: exponent + 1)
            return sign + digits[..<split] + "." + digits[split...]
        }
    }
}
