import ArgumentParser
import Foundation
import TensorCodecs
import TensorTestSupport

/// `tensor-bench verify-decimals`: the JSON reader's rounding checked on millions of random and adversarial
/// decimals per dtype (`DecimalCorpus`), against the C library's correctly rounded conversions and against decimals
/// whose rounding is known by construction. Too long for the unit tests, which run the same corpus on thousands.
struct VerifyDecimalsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-decimals", abstract: "Checks decimal reading on millions of hard inputs per dtype; exits 1 on a mismatch.")

    @Option(help: "Decimals per dtype.")
    var count = 2_500_000

    @Option(help: "Seed of the corpus.")
    var seed: UInt64 = 2026

    func run() throws {
        var failed = false
        for format in BinaryFormat.all {
            var corpus = DecimalCorpus(format: format, seed: seed &+ UInt64(format.fractionBits))
            var mismatches: [String] = []
            var checked = 0
            let start = Stopwatch.now()
            while checked < count {
                let cases = (0..<min(100_000, count - checked)).map { _ in corpus.next() }
                mismatches += try decimalMismatches(cases, format: format) { try readDecimalPatterns($0, format: format) }
                checked += cases.count
            }
            print("\(format.name): \(checked) decimals, \(mismatches.count) mismatches (\(String(format: "%.0f", Stopwatch.now() - start)) s)")
            for mismatch in mismatches.prefix(10) { print("  \(mismatch)") }
            failed = failed || !mismatches.isEmpty
        }
        if failed { throw ExitCode.failure }
    }
}
