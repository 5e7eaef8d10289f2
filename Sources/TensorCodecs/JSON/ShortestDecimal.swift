import CNumberText
import TensorKernels

/// The shortest decimal that reads back to the same value, per dtype, written into a caller's buffer.
///
/// float32 and float64 use our Schubfach (`tk_write_shortest_float32`, `tk_write_shortest_float64`), which print
/// what `description` prints: checked against the Swift runtime's printer for all 2^32 float32 patterns and for
/// millions of float64 ones. float16 and bfloat16 have only 65,536 values each: their texts are worked out at
/// build time and looked up (`NarrowDigits`).
enum ShortestDecimal {
    /// The bytes one element's text may take or touch while it is written: float32 18 and float64 34 (texts of at
    /// most 16 and 24, written with fixed-size copies); float16/bfloat16 a sign slot and a fixed 18-byte copy.
    /// Answers are allocated (and their memory admitted) at this size per element, so it is kept tight.
    static func room(for dtype: DType) -> Int {
        switch dtype {
        case .float32: 18
        case .float16, .bfloat16: 1 + NarrowDigits.textWidth
        case .float64: Int(TK_SHORTEST_FLOAT64_ROOM)
        }
    }

    static func write(float value: Float, to output: UnsafeMutablePointer<UInt8>) -> Int {
        tk_write_shortest_float32(value, output)
    }

    static func write(double value: Double, to output: UnsafeMutablePointer<UInt8>) -> Int {
        tk_write_shortest_float64(value, output)
    }

    static func write(float16Bits bits: UInt16, to output: UnsafeMutablePointer<UInt8>) -> Int {
        NarrowDigits.write(bits, format: .float16, to: output)
    }

    static func write(bfloat16Bits bits: UInt16, to output: UnsafeMutablePointer<UInt8>) -> Int {
        NarrowDigits.write(bits, format: .bfloat16, to: output)
    }
}
