import TensorKernels

/// leaky_relu_ written straight from the contract's formula, one element at a time, with no shared code with the
/// SIMD kernels: the oracle the kernel tests compare against.
public enum ReferenceKernel {
    public static func float32(_ x: Float, slope: Double) -> Float {
        x > 0 ? x : x * Float(slope)
    }

    public static func float64(_ x: Double, slope: Double) -> Double {
        x > 0 ? x : x * slope
    }

    /// Widen, multiply in float32, round once to float16 (Swift's conversion rounds to nearest even).
    public static func float16(_ bits: UInt16, slope: Double) -> UInt16 {
        let x = Float(Float16(bitPattern: bits))
        return x > 0 ? bits : Float16(x * Float(slope)).bitPattern
    }

    public static func bfloat16(_ bits: UInt16, slope: Double) -> UInt16 {
        let x = Float(bitPattern: UInt32(bits) << 16)
        guard !(x > 0) else { return bits }
        let y = x * Float(slope)
        if y.isNaN { return 0x7FC0 }
        // Round to nearest even by exact comparison with the two neighbours, independent of the kernel's bit trick.
        let down = UInt16(truncatingIfNeeded: y.bitPattern >> 16)
        let low = Float(bitPattern: UInt32(down) << 16)
        if low == y { return down }
        let up = down &+ 1
        // Past the largest bfloat16 the next step up is 2^128, which float32 calls infinity.
        let high = up & 0x7FFF == 0x7F80 ? (y < 0 ? -0x1p128 : 0x1p128) : Double(Float(bitPattern: UInt32(up) << 16))
        let below = Double(y) - Double(low), above = high - Double(y)
        if abs(below) < abs(above) { return down }
        if abs(above) < abs(below) { return up }
        return down & 1 == 0 ? down : up
    }

    /// Whether a kernel's answer matches the reference: the same bits, or both NaN (any NaN in gives a NaN out).
    public static func matches16(_ actual: UInt16, _ expected: UInt16, isNaN: (UInt16) -> Bool) -> Bool {
        actual == expected || (isNaN(actual) && isNaN(expected))
    }
}

extension UInt16 {
    public var isFloat16NaN: Bool { self & 0x7C00 == 0x7C00 && self & 0x03FF != 0 }
    public var isBFloat16NaN: Bool { self & 0x7F80 == 0x7F80 && self & 0x007F != 0 }
}
