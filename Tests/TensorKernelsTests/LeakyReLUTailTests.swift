import Testing
import TensorKernels
import TensorTestSupport

/// Lengths 0…257 at byte offsets 0…63 exercise every vector tail and misaligned start; bytes around the tensor
/// must stay untouched.
@Suite struct LeakyReLUTailTests {
    static func pattern(_ count: Int, itemSize: Int) -> [UInt8] {
        var generator = SplitMix64(seed: UInt64(count * 31 + itemSize))
        return (0..<count * itemSize).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    }

    static func reference(_ dtype: DType, _ bytes: [UInt8], slope: Double) -> [UInt8] {
        var out = bytes
        out.withUnsafeMutableBytes { raw in
            let n = raw.count / dtype.itemSize
            for i in 0..<n {
                switch dtype {
                case .float16:
                    let p = raw.baseAddress!.advanced(by: i * 2)
                    p.storeBytes(of: ReferenceKernel.float16(p.loadUnaligned(as: UInt16.self), slope: slope), as: UInt16.self)
                case .bfloat16:
                    let p = raw.baseAddress!.advanced(by: i * 2)
                    p.storeBytes(of: ReferenceKernel.bfloat16(p.loadUnaligned(as: UInt16.self), slope: slope), as: UInt16.self)
                case .float32:
                    let p = raw.baseAddress!.advanced(by: i * 4)
                    p.storeBytes(of: ReferenceKernel.float32(p.loadUnaligned(as: Float.self), slope: slope), as: Float.self)
                case .float64:
                    let p = raw.baseAddress!.advanced(by: i * 8)
                    p.storeBytes(of: ReferenceKernel.float64(p.loadUnaligned(as: Double.self), slope: slope), as: Double.self)
                }
            }
        }
        return out
    }

    /// NaN bits may differ from the reference's; compare element-wise with NaN equivalence.
    static func sameValues(_ dtype: DType, _ a: ArraySlice<UInt8>, _ b: [UInt8]) -> Bool {
        let a = Array(a)
        for i in stride(from: 0, to: a.count, by: dtype.itemSize) {
            let x = a[i..<i + dtype.itemSize], y = b[i..<i + dtype.itemSize]
            if x.elementsEqual(y) { continue }
            let nan: Bool
            switch dtype {
            case .float16: nan = x.withUnsafeBytes { $0.loadUnaligned(as: UInt16.self).isFloat16NaN }
            case .bfloat16: nan = x.withUnsafeBytes { $0.loadUnaligned(as: UInt16.self).isBFloat16NaN }
            case .float32: nan = x.withUnsafeBytes { $0.loadUnaligned(as: Float.self).isNaN }
            case .float64: nan = x.withUnsafeBytes { $0.loadUnaligned(as: Double.self).isNaN }
            }
            if !nan { return false }
        }
        return true
    }

    @Test("Every length 0…257 at every offset 0…63", arguments: KernelPath.supported)
    func tailsAndOffsets(path: KernelPath) {
        for dtype in DType.allCases {
            for count in 0...257 {
                let input = Self.pattern(count, itemSize: dtype.itemSize)
                let expected = Self.reference(dtype, input, slope: 0.2)
                for offset in [0, 1, 2, 3, 5, 8, 13, 31, 32, 63] {
                    var buffer = [UInt8](repeating: 0xA5, count: offset + input.count + 64)
                    buffer.replaceSubrange(offset..<offset + input.count, with: input)
                    buffer.withUnsafeMutableBytes {
                        LeakyReLU.apply(dtype, to: $0.baseAddress! + offset, count: count, slope: 0.2, path: path)
                    }
                    let ok = Self.sameValues(dtype, buffer[offset..<offset + input.count], expected)
                        && buffer[..<offset].allSatisfy { $0 == 0xA5 }
                        && buffer[(offset + input.count)...].allSatisfy { $0 == 0xA5 }
                    #expect(ok, "\(dtype) \(path) count \(count) offset \(offset)")
                    if !ok { return }
                }
            }
        }
    }

    @Test("Byte-swapped variants equal swap, compute, swap back", arguments: KernelPath.supported)
    func byteSwapped(path: KernelPath) {
        for dtype in [DType.float16, .float32, .float64] {
            for count in [0, 1, 7, 15, 16, 17, 33, 100, 257] {
                let input = Self.pattern(count, itemSize: dtype.itemSize)
                let swapped = Self.swapEach(input, itemSize: dtype.itemSize)
                let expected = Self.reference(dtype, input, slope: -0.5)
                var buffer = swapped
                buffer.withUnsafeMutableBytes {
                    LeakyReLU.apply(dtype, to: $0.baseAddress!, count: count, slope: -0.5, byteSwapped: true, path: path)
                }
                let ok = Self.sameValues(dtype, Self.swapEach(buffer, itemSize: dtype.itemSize)[...], expected)
                #expect(ok, "\(dtype) \(path) count \(count)")
            }
        }
    }

    static func swapEach(_ bytes: [UInt8], itemSize: Int) -> [UInt8] {
        var out = bytes
        for i in stride(from: 0, to: bytes.count, by: itemSize) { out[i..<i + itemSize].reverse() }
        return out
    }
}
