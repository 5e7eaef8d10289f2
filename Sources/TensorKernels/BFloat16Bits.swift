/// Conversions between float32 and bfloat16 bit patterns (the upper half of a float32).
public enum BFloat16Bits {
    /// The exact float32 value of a bfloat16 bit pattern.
    @inlinable public static func float(from bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Rounds a float32 to bfloat16, to nearest even; a NaN stays a quiet NaN.
    @inlinable public static func bits(from value: Float) -> UInt16 {
        let x = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: x >> 16) | 0x40 }
        let rounded = x &+ 0x7FFF &+ ((x >> 16) & 1)
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }
}
