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

    @Test("float32 text equals Swift's shortest description for 100,000 random values")
    func float32MatchesDescription() throws {
        var generator = SplitMix64(seed: 9)
        var values: [Float] = []
        while values.count < 100_000 {
            let value = Float(bitPattern: UInt32(truncatingIfNeeded: generator.next()))
            if value.isFinite { values.append(value) }
        }
        let text = try write(.float32, [values.count], .flat, bytes(values))
        let body = text[text.range(of: "\"data\":[")!.upperBound...].dropLast(2)
        let printed = body.split(separator: ",").map(String.init)
        #expect(printed == values.map(\.description))
    }

    @Test("float64 text equals Swift's shortest description, integers and random values")
    func float64MatchesDescription() throws {
        var generator = SplitMix64(seed: 10)
        var values: [Double] = [2, 4, -1, 100, 1e22, 123_456_789, 0.5, -0.0]
        while values.count < 100_000 {
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
        // Shortest: no element keeps a digit it could drop (a trailing "0" before an exponent or the end).
        let body = text[text.range(of: "\"data\":[")!.upperBound...].dropLast(2)
        for element in body.split(separator: ",") where element.contains(".") {
            let mantissa = element.split(separator: "e")[0]
            #expect(!mantissa.hasSuffix("0") || mantissa.hasSuffix(".0"), "\(element) is not shortest")
        }
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
