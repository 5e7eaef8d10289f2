import Foundation
import Testing
import TensorKernels
import TensorTestSupport
@testable import TensorCodecs

@Suite struct JSONTensorWriterTests {
    func write(_ dtype: DType, _ shape: [Int], _ layout: TensorLayout, _ bytes: [UInt8]) throws -> String {
        String(decoding: try bytes.withUnsafeBytes { try JSONTensorWriter.write(dtype: dtype, shape: shape, layout: layout, data: $0) }, as: UTF8.self)
    }

    func bytes<T>(_ values: [T]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }

    @Test func mirrorsTheLayout() throws {
        let data = bytes([Float(-0.4), -0.2, 0, 1])
        #expect(try write(.float32, [2, 2], .nested, data) == #"{"dtype":"float32","shape":[2,2],"data":[[-0.4,-0.2],[0.0,1.0]]}"#)
        #expect(try write(.float32, [2, 2], .flat, data) == #"{"dtype":"float32","shape":[2,2],"data":[-0.4,-0.2,0.0,1.0]}"#)
        #expect(try write(.float32, [], .nested, bytes([Float(3.5)])) == #"{"dtype":"float32","shape":[],"data":3.5}"#)
        #expect(try write(.float32, [2, 0], .nested, []) == #"{"dtype":"float32","shape":[2,0],"data":[[],[]]}"#)
        #expect(try write(.float32, [0, 2], .nested, []) == #"{"dtype":"float32","shape":[0,2],"data":[]}"#)
    }

    @Test func shortestDigitsPerDtype() throws {
        #expect(try write(.float32, [1], .flat, bytes([Float(-0.02)])).contains("[-0.02]"))
        #expect(try write(.float64, [1], .flat, bytes([-0.02])).contains("[-0.02]"))
        #expect(try write(.float16, [1], .flat, bytes([Float16(0.1).bitPattern])).contains("[0.1]"))
        #expect(try write(.bfloat16, [1], .flat, bytes([BFloat16Bits.bits(from: 0.1)])).contains("[0.1]"))
        #expect(try write(.float32, [3], .flat, bytes([Float.nan, .infinity, -.infinity])).contains("[NaN,Infinity,-Infinity]"))
    }

    @Test("float32 text equals Swift's shortest description: where the notation switches, the ends, 100,000 random")
    func float32MatchesDescription() throws {
        var generator = SplitMix64(seed: 9)
        var values: [Float] = [
            16_777_216, 16_777_218, Float(0x1p24).nextDown, 0.0001, Float(0.0001).nextDown, 9.999e-5, 1e-5, 1, 10, 1e7, 8_388_608.5,
            .leastNonzeroMagnitude, .leastNormalMagnitude, .leastNormalMagnitude.nextDown, .greatestFiniteMagnitude,
            -0.0, 0.1, -123_456_792, 1_234_567.8, 0.000123456789, Float(bitPattern: 2), 0x1p-126, 0x1p127,
        ]
        // Alone, each is the last text in its buffer: the printer's fixed-size copies must stay inside it (the
        // address sanitizer run checks this).
        for value in values {
            #expect(try write(.float32, [1], .flat, bytes([value])).contains("[\(value.description)]"))
        }
        while values.count < 100_000 {
            let value = Float(bitPattern: UInt32(truncatingIfNeeded: generator.next()))
            if value.isFinite { values.append(value) }
        }
        let text = try write(.float32, [values.count], .flat, bytes(values))
        let body = text[text.range(of: "\"data\":[")!.upperBound...].dropLast(2)
        let printed = body.split(separator: ",").map(String.init)
        #expect(printed == values.map(\.description))
    }

    @Test("float64 text equals Swift's shortest description: where the notation switches, the ends, every power of two and its neighbours, short decimals, 100,000 random")
    func float64MatchesDescription() throws {
        var generator = SplitMix64(seed: 10)
        var values: [Double] = [
            2, 4, -1, 100, 1e22, 123_456_789, 0.5, -0.0, 0x1p53, 0x1p53 + 2, Double(0x1p53).nextDown, 0.0001,
            Double(0.0001).nextDown, 1e-5, 1e16, 1e17, .leastNonzeroMagnitude, .leastNormalMagnitude,
            .leastNormalMagnitude.nextDown, .greatestFiniteMagnitude, -1.2345678901234567, 1_234_567_890_123_456.8,
            0.000_123_456_789_012_345_67, 1e100, 1e-100, .leastNonzeroMagnitude * 2, 0.1, 0.3, 4.35,
        ]
        // Alone, each is the last text in its buffer: the printer's fixed-size copies must stay inside it (the
        // address sanitizer run checks this).
        for value in values {
            #expect(try write(.float64, [1], .flat, bytes([value])).contains("[\(value.description)]"))
        }
        for exponent in Double.leastNonzeroMagnitude.exponent...Double.greatestFiniteMagnitude.exponent {
            let power = Double(sign: .plus, exponent: exponent, significand: 1)
            values += [power, power.nextUp, power.nextDown]
        }
        for _ in 0..<20_000 {
            let digits = generator.next() % 100_000_000_000_000_000, exponent = Int(generator.next() % 631) - 340
            values.append(Double("\(digits)e\(exponent)")!)
        }
        while values.count < 150_000 {
            let value = Double(bitPattern: generator.next())
            if value.isFinite { values.append(value) }
        }
        let text = try write(.float64, [values.count], .flat, bytes(values))
        let body = text[text.range(of: "\"data\":[")!.upperBound...].dropLast(2)
        #expect(body.split(separator: ",").map(String.init) == values.map(\.description))
    }

    @Test("Every float16 and bfloat16 pattern is written shortest and reads back to the same bits", arguments: [DType.float16, .bfloat16])
    func exhaustiveNarrowRoundTrip(dtype: DType) throws {
        let patterns = (0...UInt16.max).map { $0 }
        let text = try write(dtype, [65_536], .flat, bytes(patterns))
        let request = try Array(text.utf8).withUnsafeBytes { try JSONTensorReader.read($0) }
        let read = request.data.withUnsafeBytes { Array($0.bindMemory(to: UInt16.self)) }
        let isNaN: (UInt16) -> Bool = dtype == .float16 ? { $0 & 0x7FFF > 0x7C00 } : { $0 & 0x7FFF > 0x7F80 }
        let mismatch = patterns.indices.first { patterns[$0] != read[$0] && !(isNaN(patterns[$0]) && isNaN(read[$0])) }
        #expect(mismatch == nil, "pattern \(mismatch.map { String($0, radix: 16) } ?? "")")
        // Shortest: no decimal with fewer significant digits reads back to the same pattern. If one did, the
        // decimal of that many digits just below or just above the value would too (the values that round to a
        // pattern form an interval around it), so those two, at every exponent that could give fewer digits, are read.
        let body = text[text.range(of: "\"data\":[")!.upperBound...].dropLast(2)
        var longer: [String] = []
        for (bits, element) in zip(patterns, body.split(separator: ",")) where bits & 0x7FFF != 0 && !isNaN(bits) {
            guard !element.hasSuffix("Infinity"), let shorter = Self.shorterReadingBack(String(element), bits: bits, dtype: dtype)
            else { continue }
            longer.append("\(element) (\(shorter) reads back too)")
        }
        #expect(longer.isEmpty, "\(longer.count) not shortest: \(longer.prefix(5))")
    }

    @Test("Shortest at powers of two, where the interval below is half as wide as above")
    func narrowPowersOfTwo() throws {
        let bfloat16 = BFloat16Bits.bits(from: 0x1p-59)
        #expect(try write(.bfloat16, [1], .flat, bytes([bfloat16])).contains("[1.74e-18]"))
    }

    /// A decimal with fewer significant digits than `text` that reads back to `bits`, if there is one.
    static func shorterReadingBack(_ text: String, bits: UInt16, dtype: DType) -> String? {
        let mantissa = text.split(separator: "e")[0].drop { $0 == "-" }
        let significant = mantissa.filter(\.isNumber).drop { $0 == "0" }
        let digits = significant.count - significant.reversed().prefix { $0 == "0" }.count
        guard digits > 1, let value = Double(text) else { return nil }
        let magnitude = abs(value)
        let decade = Int(log10(magnitude).rounded(.down))
        for fewer in 1..<digits {
            for decadeShift in -1...1 {
                let exponent = decade + decadeShift - fewer + 1
                let scaled = (magnitude / pow(10, Double(exponent))).rounded(.down)
                for candidate in [scaled - 1, scaled, scaled + 1, scaled + 2] where candidate > 0 {
                    let digitsText = String(Int64(candidate))
                    guard digitsText.count <= fewer else { continue }
                    let decimal = (value < 0 ? "-" : "") + digitsText + "e" + String(exponent)
                    let readBack = Array(decimal.utf8).withUnsafeBytes { raw in
                        DecimalNumber.scan(raw, at: 0).map { dtype == .float16 ? $0.float16Bits(in: raw) : $0.bfloat16Bits(in: raw) }
                    }
                    if readBack == bits { return decimal }
                }
            }
        }
        return nil
    }

    @Test("Many empty nested arrays fit the buffer (regression: commas between arrays were not counted)")
    func manyEmptyArrays() throws {
        let text = try write(.float32, [1000, 0], .nested, [])
        #expect(text.hasSuffix("[" + Array(repeating: "[]", count: 1000).joined(separator: ",") + "]}"))
        let deep = try write(.float64, [10, 10, 10, 0], .nested, [])
        #expect(deep.utf8.count > 3000)
    }

    @Test func hugeEmptyShapesAreRefused() {
        #expect(throws: CodecError.self) { try write(.float32, [1_000_000_000, 0], .nested, []) }
    }
}
