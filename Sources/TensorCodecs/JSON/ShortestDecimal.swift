import CNumberText
import TensorKernels

/// The shortest decimal that reads back to the same value, per dtype, written into a caller's buffer.
///
/// float32 and float64 use the Swift runtime's shortest round-trip printer (what `description` prints) without
/// making a String per element. float16 and bfloat16 have only 65,536 values each: their texts are worked out at
/// build time and looked up (`NarrowDigits`).
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
        NarrowDigits.write(bits, format: .float16, to: output)
    }

    static func write(bfloat16Bits bits: UInt16, to output: UnsafeMutablePointer<UInt8>) -> Int {
        NarrowDigits.write(bits, format: .bfloat16, to: output)
    }

    /// NaN and the infinities as Python's json module writes them.
    private static func writeSpecial(_ value: Double, to output: UnsafeMutablePointer<UInt8>) -> Int {
        let text: StaticString = value.isNaN ? "NaN" : (value < 0 ? "-Infinity" : "Infinity")
        output.update(from: text.utf8Start, count: text.utf8CodeUnitCount)
        return text.utf8CodeUnitCount
    }
}
