import Testing
import TensorTestSupport
@testable import TensorCodecs

/// The decimal reader against the C library and against decimals built exactly around midpoints, for every dtype.
/// `tensor-bench verify-decimals` runs the same corpus over ten million inputs per dtype in a release build.
struct DecimalReadingTests {
    static func readPatterns(_ texts: [String], format: BinaryFormat) throws -> [UInt64] {
        let document = "{\"dtype\":\"\(format.name)\",\"data\":[\(texts.joined(separator: ","))]}"
        let request = try Array(document.utf8).withUnsafeBytes { try JSONTensorReader.read($0) }
        return request.data.withUnsafeBytes { raw in
            switch format.fractionBits {
            case 52: raw.bindMemory(to: UInt64.self).map { $0 }
            case 23: raw.bindMemory(to: UInt32.self).map { UInt64($0) }
            default: raw.bindMemory(to: UInt16.self).map { UInt64($0) }
            }
        }
    }

    @Test("Random, long and near-midpoint decimals read as the C library and the construction say", arguments: BinaryFormat.all)
    func corpusAgrees(format: BinaryFormat) throws {
        var corpus = DecimalCorpus(format: format, seed: 11)
        let cases = (0..<6_000).map { _ in corpus.next() }
        let mismatches = try decimalMismatches(cases, format: format) { try Self.readPatterns($0, format: format) }
        #expect(mismatches.count == 0, "\(mismatches.prefix(5))")
    }

    /// Every midpoint between adjacent 16-bit values, exactly and a hair either side: the exhaustive version of the
    /// corpus's hardest class.
    @Test("Every 16-bit midpoint and its near neighbours", arguments: [BinaryFormat.float16, .bfloat16])
    func everyNarrowMidpoint(format: BinaryFormat) throws {
        var texts: [String] = []
        var expected: [UInt64] = []
        for pattern in 0..<format.infinityPattern {
            let (significand, exponent) = format.integerForm(pattern)
            // (2s + 1) × 2^(e − 1) = (2s + 1) × 5^(1 − e) × 10^(e − 1); the exponents here are all negative or small.
            let midpoint = Double(2 * significand + 1) * Double(sign: .plus, exponent: exponent - 1, significand: 1)
            let exact = midpointText(midpoint)
            let next = pattern + 1
            texts += [exact, nudged(exact, up: true), nudged(exact, up: false)]
            expected += [pattern & 1 == 0 ? pattern : next, next, pattern]
        }
        let read = try Self.readPatterns(texts, format: format)
        let wrong = texts.indices.filter { read[$0] != expected[$0] }
        #expect(wrong.count == 0, "\(wrong.count) wrong, first: \(wrong.first.map { texts[$0].prefix(70) } ?? "")")
    }

    /// A double's exact decimal as integer digits and an exponent (`digitse-exponent`).
    func midpointText(_ value: Double) -> String {
        // value = m × 2^k exactly with m odd; for k < 0 that is m × 5^-k × 10^k.
        var m = value.significandBitPattern | (1 << 52)
        var k = Int(value.exponent) - 52
        while m & 1 == 0 {
            m >>= 1
            k += 1
        }
        var digits: [UInt32] = [UInt32(m % 1_000_000_000), UInt32(m / 1_000_000_000 % 1_000_000_000), UInt32(m / 1_000_000_000_000_000_000)]
        func multiply(_ factor: UInt64) {
            var carry: UInt64 = 0
            for index in digits.indices {
                let product = UInt64(digits[index]) * factor + carry
                digits[index] = UInt32(product % 1_000_000_000)
                carry = product / 1_000_000_000
            }
            if carry > 0 { digits.append(UInt32(carry)) }
        }
        for _ in 0..<max(0, -k) { multiply(5) }
        for _ in 0..<max(0, k) { multiply(2) }
        while digits.count > 1 && digits.last == 0 { digits.removeLast() }
        var text = String(digits.last!)
        for limb in digits.dropLast().reversed() {
            let part = String(limb)
            text += String(repeating: "0", count: 9 - part.count) + part
        }
        return text + "e" + String(min(k, 0))
    }

    /// Just above or below an exact `digitse-exponent`: one more or one less in the 23rd digit past it.
    func nudged(_ exact: String, up: Bool) -> String {
        let parts = exact.split(separator: "e")
        let exponent = String(Int(parts[1])! - 23)
        if up { return parts[0] + String(repeating: "0", count: 22) + "1e" + exponent }
        var digits = Array(parts[0].utf8) + Array(repeating: UInt8(ascii: "0"), count: 23)
        var index = digits.count - 1
        while digits[index] == UInt8(ascii: "0") {
            digits[index] = UInt8(ascii: "9")
            index -= 1
        }
        digits[index] -= 1
        let trimmed = digits.drop { $0 == UInt8(ascii: "0") }
        return String(decoding: trimmed, as: UTF8.self) + "e" + exponent
    }

    @Test("Decimals this reader declines go to the exact path and still round correctly")
    func exactFallback() throws {
        // float16 1 + 2^-11 is a tie with a negative power of ten: the fast path declines, ties to even (1.0).
        #expect(try Self.readPatterns(["1.00048828125", "1.00048828125000000000000001"], format: .float16) == [0x3C00, 0x3C01])
        // 2^-1075, the midpoint between 0 and float64's smallest subnormal, exactly and a hair above.
        let half = "2.4703282292062327208828439643411068618252990130716238221279284125033775363510437593264991818081799618989828234772285886546332835517796989819938739800539093906315035659515570226392290858392449105184435931802849936536152500319370457678249219365623669863658480757001585769269903706311928279558551332927834338409351978015531246597263579574622766465272827220056374006485499977096599470454020828166226237857393450736339007967761930577506740176324673600968951340535537458516661134223766678604162159680461914467291840300530057530849048765391711386591646239524912623653881879636239373280423891018672348497668235089863388587925628302755995657524455507255189313690836254779186948667994968324049705821028513185451396213837722826145437693412532098591327667236328125e-324"
        #expect(try Self.readPatterns([half, half.replacingOccurrences(of: "125e", with: "1251e")], format: .float64) == [0, 1])
    }
}
