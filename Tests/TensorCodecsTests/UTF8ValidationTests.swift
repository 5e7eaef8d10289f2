import Testing
@testable import TensorCodecs

/// The JSON reader's UTF-8 check against the standard library's own validation, and where it reports a bad byte.
@Suite struct UTF8ValidationTests {
    private func offset(_ bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBytes { UTF8Validation.firstInvalidOffset(in: $0) }
    }

    @Test("Every 1- and 2-byte sequence, and 200,000 random 3- and 4-byte ones, judged as String(validating:) does")
    func agreesWithTheStandardLibrary() {
        var checked = 0
        for first in 0...255 {
            for second in 0...255 {
                let bytes: [UInt8] = [UInt8(first), UInt8(second)]
                #expect((offset(bytes) == nil) == (String(validating: bytes, as: UTF8.self) != nil), "\(bytes)")
                checked += 1
            }
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200_000 {
            let length = Int.random(in: 3...4, using: &generator)
            // Lead bytes from the multi-byte range, so most samples exercise the interesting cases.
            var bytes = [UInt8.random(in: 0xE0...0xF7, using: &generator)]
            for _ in 1..<length { bytes.append(UInt8.random(in: 0x70...0xC5, using: &generator)) }
            let valid = offset(bytes) == nil
            if valid != (String(validating: bytes, as: UTF8.self) != nil) {
                Issue.record("disagree on \(bytes.map { String($0, radix: 16) })")
                return
            }
        }
        #expect(checked == 65536)
    }

    @Test func reportsTheFirstBadByte() {
        #expect(offset(Array("abc".utf8)) == nil)
        #expect(offset([0x61, 0xC3, 0xA9, 0xFF]) == 3)
        #expect(offset([0x61, 0xED, 0xA0, 0x80]) == 1, "a UTF-16 surrogate")
        #expect(offset([0xC0, 0x80]) == 0, "an overlong NUL")
        #expect(offset([0xF4, 0x90, 0x80, 0x80]) == 0, "past U+10FFFF")
        #expect(offset([0xE2, 0x82]) == 0, "cut short")
    }

    @Test("\\u escapes: surrogate pairs combine, lone surrogates and short or signed escapes are refused")
    func unicodeEscapes() throws {
        func string(_ json: String) throws -> String {
            let bytes = Array(json.utf8)
            return try bytes.withUnsafeBytes { raw in
                var scanner = JSONScanner(raw)
                return try scanner.readString()
            }
        }
        #expect(try string(#""a\ud83d\ude00b""#) == "a\u{1F600}b")
        #expect(try string(#""\u00e9\u0041""#) == "éA")
        for bad in [#""\ud83d""#, #""\ude00""#, #""\ud83d\u0041""#, #""\u+041""#, #""\u00e""#] {
            #expect(throws: CodecError.self, "\(bad)") { try string(bad) }
        }
    }

    @Test("Invalid UTF-8 in a key or a string value is a 400 that gives its byte offset")
    func jsonStringsMustBeUTF8() {
        let key: [UInt8] = Array(#"{"da"#.utf8) + [0xFF] + Array(#"ta": [1]}"#.utf8)
        #expect(throws: CodecError.malformed("malformed JSON at byte 4: invalid UTF-8 in a string")) {
            try key.withUnsafeBytes { try JSONTensorReader.read($0) }
        }
        let id: [UInt8] = Array(#"{"id": "a"#.utf8) + [0xC3, 0x28] + Array(#"", "inputs": []}"#.utf8)
        #expect(throws: CodecError.malformed("malformed JSON at byte 9: invalid UTF-8 in a string")) {
            try id.withUnsafeBytes { try KServeInferRequestDecoder.decode($0, headerLength: nil) }
        }
    }
}
