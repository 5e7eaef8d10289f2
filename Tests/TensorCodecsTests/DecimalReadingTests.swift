import Testing
import TensorTestSupport
@testable import TensorCodecs

/// The decimal reader against the C library and against decimals built exactly around midpoints, for every dtype.
/// `tensor-bench verify-decimals` runs the same corpus over ten million inputs per dtype in a release build.
struct DecimalReadingTests {
    @Test("Random, long and near-midpoint decimals read as the C library and the construction say", arguments: BinaryFormat.all)
    func corpusAgrees(format: BinaryFormat) throws {
        var corpus = DecimalCorpus(format: format, seed: 11)
        let cases = (0..<6_000).map { _ in corpus.next() }
        let mismatches = try decimalMismatches(cases, format: format) { try readDecimalPatterns($0, format: format) }
        #expect(mismatches.count == 0, "\(mismatches.prefix(5))")
    }

    /// Every midpoint between adjacent 16-bit values, exactly and a hair either side: the exhaustive version of the
    /// corpus's hardest class.
    @Test("Every 16-bit midpoint and its near neighbours", arguments: [BinaryFormat.float16, .bfloat16])
    func everyNarrowMidpoint(format: BinaryFormat) throws {
        var texts: [String] = []
        var expected: [UInt64] = []
        for pattern in 0..<format.infinityPattern {
            let exact = format.midpointText(after: pattern)
            let next = pattern + 1
            texts += [exact, DecimalText.nudged(exact, up: true, places: 23), DecimalText.nudged(exact, up: false, places: 23)]
            expected += [pattern & 1 == 0 ? pattern : next, next, pattern]
        }
        let read = try readDecimalPatterns(texts, format: format)
        let wrong = texts.indices.filter { read[$0] != expected[$0] }
        #expect(wrong.count == 0, "\(wrong.count) wrong, first: \(wrong.first.map { texts[$0].prefix(70) } ?? "")")
    }

    @Test("Decimals this reader declines go to the exact path and still round correctly")
    func exactFallback() throws {
        // float16 1 + 2^-11 is a tie with a negative power of ten: the fast path declines, ties to even (1.0).
        #expect(try readDecimalPatterns(["1.00048828125", "1.00048828125000000000000001"], format: .float16) == [0x3C00, 0x3C01])
        // 2^-1075, the midpoint between 0 and float64's smallest subnormal, exactly and a hair above.
        let half = "2.4703282292062327208828439643411068618252990130716238221279284125033775363510437593264991818081799618989828234772285886546332835517796989819938739800539093906315035659515570226392290858392449105184435931802849936536152500319370457678249219365623669863658480757001585769269903706311928279558551332927834338409351978015531246597263579574622766465272827220056374006485499977096599470454020828166226237857393450736339007967761930577506740176324673600968951340535537458516661134223766678604162159680461914467291840300530057530849048765391711386591646239524912623653881879636239373280423891018672348497668235089863388587925628302755995657524455507255189313690836254779186948667994968324049705821028513185451396213837722826145437693412532098591327667236328125e-324"
        #expect(try readDecimalPatterns([half, half.replacingOccurrences(of: "125e", with: "1251e")], format: .float64) == [0, 1])
    }
}
