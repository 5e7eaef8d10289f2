import Testing
import TensorKernels
import TensorTestSupport

/// Every float16 and bfloat16 bit pattern, on every vector path this CPU can run, against the scalar reference.
@Suite struct LeakyReLUExhaustiveTests {
    static let slopes: [Double] = [0.01, 0.2, 0, -0.5, 1.5]

    static var allPatterns: [UInt16] { (0...UInt16.max).map { $0 } }

    static func firstMismatch(
        _ dtype: DType, path: KernelPath, slope: Double,
        reference: (UInt16, Double) -> UInt16, isNaN: (UInt16) -> Bool
    ) -> String? {
        var values = allPatterns
        values.withUnsafeMutableBytes {
            LeakyReLU.apply(dtype, to: $0.baseAddress!, count: 65_536, slope: slope, path: path)
        }
        for (input, actual) in zip(allPatterns, values) {
            let expected = reference(input, slope)
            if !ReferenceKernel.matches16(actual, expected, isNaN: isNaN) {
                return "\(dtype) \(path) slope \(slope): input 0x\(String(input, radix: 16)) gave 0x"
                    + "\(String(actual, radix: 16)), expected 0x\(String(expected, radix: 16))"
            }
        }
        return nil
    }

    @Test("float16: all 65,536 patterns on every supported path", arguments: KernelPath.supported)
    func float16Exhaustive(path: KernelPath) {
        for slope in Self.slopes {
            let mismatch = Self.firstMismatch(
                .float16, path: path, slope: slope, reference: ReferenceKernel.float16, isNaN: \.isFloat16NaN)
            #expect(mismatch == nil, "\(mismatch ?? "")")
        }
    }

    @Test("bfloat16: all 65,536 patterns on every supported path", arguments: KernelPath.supported)
    func bfloat16Exhaustive(path: KernelPath) {
        for slope in Self.slopes {
            let mismatch = Self.firstMismatch(
                .bfloat16, path: path, slope: slope, reference: ReferenceKernel.bfloat16, isNaN: \.isBFloat16NaN)
            #expect(mismatch == nil, "\(mismatch ?? "")")
        }
    }

    @Test("Every path gives the same bits, NaN payloads included", arguments: [DType.float16, .bfloat16])
    func pathsAgreeBitForBit(dtype: DType) {
        func run(_ path: KernelPath) -> [UInt16] {
            var values = Self.allPatterns
            values.withUnsafeMutableBytes {
                LeakyReLU.apply(dtype, to: $0.baseAddress!, count: 65_536, slope: -0.5, path: path)
            }
            return values
        }
        let portable = run(.portable)
        for path in KernelPath.supported where path != .portable {
            let other = run(path)
            let index = portable.indices.first { portable[$0] != other[$0] }
            #expect(index == nil, "\(dtype) \(path) differs from portable at pattern \(index ?? 0)")
        }
    }

    @Test("Every path gives the same bits for every pattern, NaN payloads included: a NaN comes back quiet with its payload")
    func pathsAgreeBitForBit() {
        for dtype in [DType.float16, .bfloat16] {
            for slope in Self.slopes {
                var outputs: [[UInt16]] = []
                for path in KernelPath.supported {
                    var values = Self.allPatterns
                    values.withUnsafeMutableBytes {
                        LeakyReLU.apply(dtype, to: $0.baseAddress!, count: 65_536, slope: slope, path: path)
                    }
                    outputs.append(values)
                }
                let portable = outputs[0]
                for (path, output) in zip(KernelPath.supported, outputs) {
                    let mismatch = (0..<65_536).first { output[$0] != portable[$0] }
                    #expect(mismatch == nil, "\(dtype) \(path) slope \(slope): pattern \(mismatch ?? 0) differs from portable")
                }
                let isNaN: (UInt16) -> Bool = dtype == .float16 ? \.isFloat16NaN : \.isBFloat16NaN
                let quietBit: UInt16 = dtype == .float16 ? 0x0200 : 0x0040
                for input in Self.allPatterns where isNaN(input) {
                    // float16 NaNs keep their payload's top bits through float32 and back, which F16C does too.
                    #expect(portable[Int(input)] == input | quietBit, "\(dtype) NaN 0x\(String(input, radix: 16))")
                }
            }
        }
    }
}
