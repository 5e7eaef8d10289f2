import Testing
import TensorKernels
import TensorTestSupport

/// float32 and float64 against the scalar reference: specials, subnormals, extremes and random values.
@Suite struct LeakyReLUFloatTests {
    static let slopes: [Double] = [0.01, 0.2, 0, -0.5, 1.5, 1e-30, -3e5]

    static func float32Inputs() -> [Float] {
        var values: [Float] = [
            .nan, -.nan, .signalingNaN, .infinity, -.infinity, 0, -0.0, .leastNonzeroMagnitude,
            -.leastNonzeroMagnitude, .leastNormalMagnitude, -.leastNormalMagnitude, .greatestFiniteMagnitude,
            -.greatestFiniteMagnitude, 1, -1, 0.5, -2, Float(bitPattern: 0x807F_FFFF), Float(bitPattern: 0x0000_0003),
        ]
        var generator = SplitMix64(seed: 42)
        for _ in 0..<10_000 { values.append(Float(bitPattern: UInt32(truncatingIfNeeded: generator.next()))) }
        return values
    }

    static func float64Inputs() -> [Double] {
        var values: [Double] = [
            .nan, -.nan, .signalingNaN, .infinity, -.infinity, 0, -0.0, .leastNonzeroMagnitude,
            -.leastNonzeroMagnitude, .leastNormalMagnitude, -.leastNormalMagnitude, .greatestFiniteMagnitude,
            -.greatestFiniteMagnitude, 1, -1, 0.5, -2,
        ]
        var generator = SplitMix64(seed: 7)
        for _ in 0..<10_000 { values.append(Double(bitPattern: generator.next())) }
        return values
    }

    @Test("float32 matches the reference bit for bit", arguments: KernelPath.supported)
    func float32(path: KernelPath) {
        let inputs = Self.float32Inputs()
        for slope in Self.slopes {
            var values = inputs
            values.withUnsafeMutableBytes {
                LeakyReLU.applyFloat32($0.baseAddress!, count: inputs.count, slope: slope, path: path)
            }
            for (x, y) in zip(inputs, values) {
                let expected = ReferenceKernel.float32(x, slope: slope)
                let same = y.bitPattern == expected.bitPattern || (y.isNaN && expected.isNaN)
                #expect(same, "\(path) slope \(slope): \(x) gave \(y), expected \(expected)")
                if !same { return }
            }
        }
    }

    @Test("float64 matches the reference bit for bit", arguments: KernelPath.supported)
    func float64(path: KernelPath) {
        let inputs = Self.float64Inputs()
        for slope in Self.slopes {
            var values = inputs
            values.withUnsafeMutableBytes {
                LeakyReLU.applyFloat64($0.baseAddress!, count: inputs.count, slope: slope, path: path)
            }
            for (x, y) in zip(inputs, values) {
                let expected = ReferenceKernel.float64(x, slope: slope)
                let same = y.bitPattern == expected.bitPattern || (y.isNaN && expected.isNaN)
                #expect(same, "\(path) slope \(slope): \(x) gave \(y), expected \(expected)")
                if !same { return }
            }
        }
    }

    @Test("Specials follow IEEE: -0 gives -0, +inf stays, -inf scales, NaN stays NaN")
    func specials() {
        var values: [Float] = [-0.0, .infinity, -.infinity, .nan, 0]
        values.withUnsafeMutableBytes { LeakyReLU.applyFloat32($0.baseAddress!, count: 5, slope: 0.01) }
        #expect(values[0].bitPattern == (-0.0 as Float).bitPattern)
        #expect(values[1] == .infinity)
        #expect(values[2] == -.infinity)
        #expect(values[3].isNaN)
        #expect(values[4].bitPattern == 0)
        var negativeSlope: [Float] = [0, -2]
        negativeSlope.withUnsafeMutableBytes { LeakyReLU.applyFloat32($0.baseAddress!, count: 2, slope: -0.5) }
        #expect(negativeSlope[0].bitPattern == (-0.0 as Float).bitPattern, "+0 * -0.5 is -0 by the formula")
        #expect(negativeSlope[1] == 1, "a negative slope is not max(x, s*x)")
    }

    @Test("Every path gives the same bits as the portable one, NaN payloads included: a NaN comes back quiet")
    func pathsAgreeBitForBit() {
        let inputs32 = Self.float32Inputs(), inputs64 = Self.float64Inputs()
        for slope in Self.slopes + [1, 0.5, 1e-40] {
            var outputs32: [[UInt32]] = [], outputs64: [[UInt64]] = []
            for path in KernelPath.supported {
                var values32 = inputs32, values64 = inputs64
                values32.withUnsafeMutableBytes { LeakyReLU.applyFloat32($0.baseAddress!, count: inputs32.count, slope: slope, path: path) }
                values64.withUnsafeMutableBytes { LeakyReLU.applyFloat64($0.baseAddress!, count: inputs64.count, slope: slope, path: path) }
                outputs32.append(values32.map(\.bitPattern))
                outputs64.append(values64.map(\.bitPattern))
            }
            for (path, output) in zip(KernelPath.supported, outputs32) {
                #expect(output == outputs32[0], "float32 \(path) slope \(slope) differs from portable")
            }
            for (path, output) in zip(KernelPath.supported, outputs64) {
                #expect(output == outputs64[0], "float64 \(path) slope \(slope) differs from portable")
            }
            for (x, y) in zip(inputs32, outputs32[0]) where x.isNaN {
                #expect(y == x.bitPattern | 0x0040_0000, "float32 NaN \(x.bitPattern) slope \(slope)")
            }
            for (x, y) in zip(inputs64, outputs64[0]) where x.isNaN {
                #expect(y == x.bitPattern | 0x0008_0000_0000_0000, "float64 NaN \(x.bitPattern) slope \(slope)")
            }
        }
    }
}
