import Foundation
import Testing
import TensorKernels
import TensorTestSupport
@testable import TensorCodecs

@Suite struct JSONTensorReaderTests {
    func read(_ text: String) throws(CodecError) -> JSONTensorRequest {
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, text.utf8.count), alignment: 1)
        defer { bytes.deallocate() }
        bytes.copyBytes(from: text.utf8)
        return try JSONTensorReader.read(UnsafeRawBufferPointer(rebasing: bytes[0..<text.utf8.count]))
    }

    func floats(_ request: JSONTensorRequest) -> [Float] {
        request.data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    @Test func nestedDataInfersTheShape() throws {
        let request = try read(#"{"data": [[-2, -1], [0, 1]], "dtype": "float32", "negative_slope": 0.2}"#)
        #expect(request.shape == [2, 2])
        #expect(request.layout == .nested)
        #expect(request.negativeSlope == 0.2)
        #expect(floats(request) == [-2, -1, 0, 1])
    }

    @Test func keysInAnyOrder() throws {
        let request = try read(#"{"negative_slope": 0.5, "data": [1.5, 2], "dtype": "float64", "shape": [2, 1]}"#)
        #expect(request.dtype == .float64)
        #expect(request.shape == [2, 1])
        #expect(request.layout == .flat)
    }

    @Test("An unknown member is an error that names the members, and suggests negative_slope for a slope")
    func unknownMembersAreRefused() {
        #expect(throws: CodecError.malformed(
            #"unknown member "slope" at byte 16; the members are "data", "shape", "dtype", "negative_slope"; the slope is "negative_slope""#
        )) { try read(#"{"data": [1.5], "slope": 0.2}"#) }
        #expect(throws: CodecError.malformed(
            #"unknown member "extra" at byte 1; the members are "data", "shape", "dtype", "negative_slope""#
        )) { try read(#"{"extra": 1, "data": [1]}"#) }
    }

    @Test func aBareArrayIsToldToBeWrapped() {
        #expect(throws: CodecError.malformed(#"the body is a bare JSON array; send an object: {"data": [...]}"#)) {
            try read(" [1, 2, 3]")
        }
    }

    @Test func scalarsAndEmptyTensors() throws {
        #expect(try read(#"{"data": 3.5}"#).shape == [])
        #expect(try read(#"{"data": []}"#).shape == [0])
        #expect(try read(#"{"data": [[], []]}"#).shape == [2, 0])
        #expect(try read(#"{"data": [], "shape": [3, 0]}"#).shape == [3, 0])
    }

    @Test func specialTokensAsPythonWritesThem() throws {
        let values = floats(try read(#"{"data": [NaN, Infinity, -Infinity, -0.0]}"#))
        #expect(values[0].isNaN)
        #expect(values[1] == .infinity && values[2] == -.infinity)
        #expect(values[3].bitPattern == 0x8000_0000)
    }

    @Test func errorsSayWhatAndWhere() {
        let cases: [(String, CodecError)] = [
            (#"{"data": [[1, 2], [3]]}"#, .malformed("data[1] is ragged: expected shape [2], found [1]")),
            (#"{"data": [1, [2]]}"#, .malformed("data[1] is ragged: expected a number, found an array")),
            (#"{"data": [[1], 2]}"#, .malformed("data[1] is ragged: expected an array, found '2'")),
            (#"{"data": [1,, 2]}"#, .malformed("malformed JSON at byte 12: expected a number in data, found ','")),
            (#"{"data": [1 2]}"#, .malformed("malformed JSON at byte 12: expected ',' or ']' in data, found '2'")),
            (#"{"data": [[1, 2], [3,]]}"#, .malformed("malformed JSON at byte 21: expected a number in data, found ']'")),
            (#"{"data": [1, "x"]}"#, .malformed("data[1] at byte 13: expected a number, found '\"'")),
            (#"{"data": [1, 2,}"#, .malformed("data[2] at byte 15: expected a number, found '}'")),
            (#"{"data": [01]}"#, .malformed("malformed JSON at byte 11: expected ',' or ']' in data, found '1'")),
            (#"{"data": [1]"#, .malformed("malformed JSON at byte 12: expected ',' or '}', found the end of the body")),
            (#"{"data": [1]} x"#, .malformed("malformed JSON at byte 14: unexpected 'x' after the object")),
            ("", .malformed("malformed JSON at byte 0: expected '{' to open a JSON object, found the end of the body")),
            (#"{"dtype": "float32"}"#, .malformed("the body has no \"data\" field")),
            (#"{"data": [1, 2], "shape": [3]}"#, .malformed("shape [3] holds 3 elements but data has 2")),
            (#"{"data": [1], "dtype": "int8"}"#, CodecError(.notFloatingPoint, "dtype int8 is not floating point: leaky_relu_ is defined for float16, bfloat16, float32 and float64 only")),
            (#"{"data": [1], "dtype": "half"}"#, .malformed("dtype \"half\" is unknown; use float16, bfloat16, float32 or float64")),
            (#"{"data": [1], "data": [2]}"#, .malformed("malformed JSON at byte 14: \"data\" appears twice")),
            (#"{"data": [1], "negative_slope": NaN}"#, .malformed("negative_slope at byte 32 must be a finite number")),
            (#"{"data": [1], "shape": [-1]}"#, .malformed("shape[0] at byte 24 is not a non-negative integer")),
            (#"{"data": [], "shape": [4294967296, 4294967296, 0]}"#, .malformed("shape [4294967296, 4294967296, 0] has more elements than 64 bits can count")),
        ]
        for (text, error) in cases {
            #expect(throws: error, "\(text)") { try read(text) }
        }
    }

    @Test func nestingDeeperThan32IsRefused() {
        let deep = String(repeating: "[", count: 40) + "1" + String(repeating: "]", count: 40)
        #expect(throws: CodecError.self) { try read("{\"data\": \(deep)}") }
    }

    // MARK: - Correct rounding

    @Test("float32: 20,000 random values printed with 9 and 17 digits read back bit-exact")
    func float32RoundTrips() throws {
        var generator = SplitMix64(seed: 1)
        var values: [Float] = []
        while values.count < 20_000 {
            let value = Float(bitPattern: UInt32(truncatingIfNeeded: generator.next()))
            if value.isFinite { values.append(value) }
        }
        for format in ["%.9g", "%.17g"] {
            let text = values.map { String(format: format, Double($0)) }.joined(separator: ",")
            let read = floats(try read("{\"data\": [\(text)]}"))
            let mismatch = zip(values, read).first { $0.bitPattern != $1.bitPattern }
            #expect(mismatch == nil, "\(format): \(String(describing: mismatch))")
        }
    }

    @Test("float64: 20,000 random values as %.17g and as Swift's shortest text read back bit-exact")
    func float64RoundTrips() throws {
        var generator = SplitMix64(seed: 2)
        var values: [Double] = []
        while values.count < 20_000 {
            let value = Double(bitPattern: generator.next())
            if value.isFinite { values.append(value) }
        }
        for text in [values.map { String(format: "%.17g", $0) }, values.map(\.description)] {
            let request = try read("{\"data\": [\(text.joined(separator: ","))], \"dtype\": \"float64\"}")
            let read = request.data.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
            #expect(zip(values, read).allSatisfy { $0.bitPattern == $1.bitPattern })
        }
    }

    @Test("Decimal numbers read like the C library's correctly rounded strtof/strtod")
    func agreesWithStrtod() throws {
        var generator = SplitMix64(seed: 3)
        var texts: [String] = []
        for _ in 0..<20_000 {
            let digits = String(generator.next() % 10_000_000_000_000_000_000)
            let exponent = Int(generator.next() % 80) - 50
            texts.append("\(generator.next() % 2 == 0 ? "-" : "")\(digits.prefix(Int(generator.next() % 19) + 1))e\(exponent)")
        }
        texts += ["0.1", "1e-45", "1.4e-45", "7e-46", "3.4028235e38", "3.4028236e38", "1e39", "2.2250738585072011e-308", "4.9e-324", "1e-400", "123456789012345678901234567890"]
        let request32 = try read("{\"data\": [\(texts.joined(separator: ","))]}")
        let request64 = try read("{\"data\": [\(texts.joined(separator: ","))], \"dtype\": \"float64\"}")
        let read32 = floats(request32), read64 = request64.data.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
        for (index, text) in texts.enumerated() {
            #expect(read32[index].bitPattern == strtof(text, nil).bitPattern, "\(text) as float32")
            #expect(read64[index].bitPattern == strtod(text, nil).bitPattern, "\(text) as float64")
        }
    }

    /// Midpoints between adjacent 16-bit values are exact decimals; nudging one up or down by a digit far past
    /// double precision is where a decimal → double → 16-bit chain rounds the wrong way.
    @Test("float16 and bfloat16: halfway cases and their near neighbours round correctly", arguments: [DType.float16, .bfloat16])
    func narrowHalfwayCases(dtype: DType) throws {
        var texts: [String] = []
        var expected: [UInt16] = []
        for bits in stride(from: UInt16(1), to: 0x7B00, by: 37) {
            let low = value(of: bits, dtype), high = value(of: bits + 1, dtype)
            let midpoint = (low + high) / 2
            let exact = String(format: "%.400f", midpoint).replacingOccurrences(of: #"\.?0+$"#, with: "", options: .regularExpression)
            let nudgedUp = exact + (exact.contains(".") ? "" : ".") + "00000000000000000000001"
            texts += [exact, nudgedUp, nudgedDown(exact)]
            expected += [bits & 1 == 0 ? bits : bits + 1, bits + 1, bits]
        }
        let request = try read("{\"data\": [\(texts.joined(separator: ","))], \"dtype\": \"\(dtype.rawValue)\"}")
        let read = request.data.withUnsafeBytes { Array($0.bindMemory(to: UInt16.self)) }
        for index in texts.indices {
            #expect(read[index] == expected[index], "\(texts[index].prefix(80)) as \(dtype)")
            if read[index] != expected[index] { return }
        }
    }

    func value(of bits: UInt16, _ dtype: DType) -> Double {
        dtype == .float16 ? Double(Float16(bitPattern: bits)) : Double(BFloat16Bits.float(from: bits))
    }

    /// The decimal just below an exact decimal: subtract one unit in a far-off last place.
    func nudgedDown(_ exact: String) -> String {
        var digits = Array(exact.replacingOccurrences(of: ".", with: ""))
        let point = exact.firstIndex(of: ".").map { exact.distance(from: exact.startIndex, to: $0) } ?? digits.count
        digits += Array(repeating: "0", count: 30)
        var index = digits.count - 1
        while digits[index] == "0" {
            digits[index] = "9"
            index -= 1
        }
        digits[index] = Character(String(digits[index].wholeNumberValue! - 1))
        var text = String(digits)
        text.insert(".", at: text.index(text.startIndex, offsetBy: point))
        return text
    }
}
