import CNumberText
import TensorKernels

/// The shortest decimal that reads back to the same value, per dtype, written into a caller's buffer.
///
/// float32 uses our Schubfach (`tk_write_shortest_float32`), checked against the Swift runtime's printer for all
/// 2^32 patterns; float64 uses that runtime printer (what `description` prints) without making a String per
/// element. float16 and bfloat16 have only 65,536 values each: their texts are worked out at
/// build time and looked up (`NarrowDigits`).
enum ShortestDecimal {
    /// The bytes one element's text may take or touch while it is written: float32 18 (texts of at most 16,
    /// written with fixed-size copies);
    /// float16/bfloat16 a sign slot and a fixed 18-byte copy; float64 32, which the runtime's printer is handed.
    /// Answers are allocated (and their memory admitted) at this size per element, so it is kept tight.
    static func room(for dtype: DType) -> Int {
        switch dtype {
        case .float32: 18
        case .float16, .bfloat16: 1 + NarrowDigits.textWidth
        case .float64: float64Room
        }
    }

    private static var float64Room: Int { 32 }

    static func write(float value: Float, to output: UnsafeMutablePointer<UInt8>) -> Int {
        tk_write_shortest_float32(value, output)
    }

    static func write(double value: Double, to output: UnsafeMutablePointer<UInt8>) -> Int {
        if !value.isFinite { return writeSpecial(value, to: output) }
        output.initialize(repeating: UInt8(ascii: "0"), count: float64Room)
        return output.withMemoryRebound(to: CChar.self, capacity: float64Room) {
            swift_float64ToString($0, float64Room, value, false)
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
