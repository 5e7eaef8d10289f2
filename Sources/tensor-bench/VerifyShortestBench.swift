import ArgumentParser
import CNumberText
import Dispatch
import Foundation
import Synchronization
import TensorCodecs
import TensorKernels
import TensorTestSupport

/// `tensor-bench verify-shortest`: the JSON writer's float32 and float64 texts against Swift's own `description`
/// on millions of random patterns; our float64 printer against the Swift runtime's on the patterns random bits
/// rarely give (every power of two and its neighbours, integers around 2^53, short decimals at every exponent,
/// values near every power of ten); and with `--all` our float32 printer against the runtime's on every one of
/// the 2^32 patterns. (float16 and bfloat16 are checked exhaustively by the unit tests.)
struct VerifyShortestBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-shortest", abstract: "Checks the JSON writer's shortest digits; exits 1 on a mismatch.")

    @Option(help: "Random patterns per dtype, written through the JSON writer and compared with description.")
    var count = 10_000_000

    @Flag(help: "Also compare every float32 pattern with the Swift runtime's printer (minutes).")
    var all = false

    func run() throws {
        var failed = false
        for dtype in [DType.float32, .float64] {
            var generator = SplitMix64(seed: 2026)
            var mismatches = 0, checked = 0, firstMismatch = ""
            while checked < count {
                let batch = min(200_000, count - checked)
                let (data, expected): ([UInt8], [String])
                if dtype == .float32 {
                    let values = (0..<batch).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: generator.next())) }
                    data = values.withUnsafeBytes { Array($0) }
                    expected = values.map(Self.pythonStyle)
                } else {
                    let values = (0..<batch).map { _ in Double(bitPattern: generator.next()) }
                    data = values.withUnsafeBytes { Array($0) }
                    expected = values.map(Self.pythonStyle)
                }
                let text = try data.withUnsafeBytes { try JSONTensorWriter.flatArray(dtype: dtype, data: $0) }
                let written = text.dropFirst().dropLast().split(separator: UInt8(ascii: ",")).map { String(decoding: $0, as: UTF8.self) }
                for (ours, theirs) in zip(written, expected) where ours != theirs {
                    if mismatches == 0 { firstMismatch = "\(ours) where description is \(theirs)" }
                    mismatches += 1
                }
                checked += batch
            }
            print("\(dtype.rawValue): \(checked) random patterns, \(mismatches) differ from description \(firstMismatch)")
            failed = failed || mismatches > 0
        }
        failed = Self.compareStructuredFloat64(count: count) || failed
        if all { failed = Self.compareEveryFloat32() || failed }
        if failed { throw ExitCode.failure }
    }

    /// description, with NaN and the infinities as the writer spells them for Python's json module.
    static func pythonStyle<T: BinaryFloatingPoint & CustomStringConvertible>(_ value: T) -> String {
        value.isNaN ? "NaN" : value.isInfinite ? (value < 0 ? "-Infinity" : "Infinity") : value.description
    }

    /// True when some float64 of the kinds random bits rarely give prints differently from the runtime's printer:
    /// `count` / 2 short decimals (1–17 random digits at every exponent, where ties between shortest candidates
    /// and the interval's ends are decided), then every power of two, 2^53 ± 100,000, and 10^e for every e, each
    /// with 8 neighbours either side.
    static func compareStructuredFloat64(count: Int) -> Bool {
        var values: [Double] = []
        for exponent in Double.leastNonzeroMagnitude.exponent...Double.greatestFiniteMagnitude.exponent {
            values.append(Double(sign: .plus, exponent: exponent, significand: 1))
        }
        for exponent in -323...308 { values.append(Double("1e\(exponent)")!) }
        values.append(0x1p53)
        values = values.flatMap { center in
            var around = [center], up = center, down = center
            for _ in 0..<8 {
                up = up.nextUp
                down = down.nextDown
                around += [up, down]
            }
            return around
        }
        values += (-100_000...100_000).map { 0x1p53 + Double($0) }
        var generator = SplitMix64(seed: 2027)
        var digitsText = [UInt8](repeating: 0, count: 40)
        for _ in 0..<count / 2 {
            let digitCount = Int(generator.next() % 17) + 1
            for index in 0..<digitCount { digitsText[index] = UInt8(ascii: "0") + UInt8(generator.next() % 10) }
            let exponent = Int(generator.next() % 631) - 340  // 17 digits × 10^290 stays finite
            let text = String(decoding: digitsText[0..<digitCount], as: UTF8.self) + "e\(exponent)"
            values.append(Double(text)!)
        }
        let corpus = values, slices = 64
        let differing = Self.countDiffering(slices: slices) { slice in
            var texts = PrintedTexts()
            for value in corpus[(corpus.count * slice / slices)..<(corpus.count * (slice + 1) / slices)] where value.isFinite {
                texts.compare(
                    ours: { tk_write_shortest_float64(value, $0) }, runtime: { swift_float64ToString($0, $1, value, false) },
                    naming: "float64 \(String(value.bitPattern, radix: 16)): \(value.description)")
            }
            return texts.differences
        }
        print("float64: \(values.count) structured values (powers of two and ten and their neighbours, around 2^53, short decimals) compared with the runtime's printer, \(differing) differ")
        return differing > 0
    }

    /// True when some finite float32 prints differently from the runtime's shortest printer.
    static func compareEveryFloat32() -> Bool {
        let start = Stopwatch.now()
        let differing = countDiffering(slices: 256) { slice in
            var texts = PrintedTexts()
            let first = UInt32(slice) << 24
            for bits in first...(first | 0xFF_FFFF) {
                let value = Float(bitPattern: bits)
                guard value.isFinite else { continue }
                texts.compare(
                    ours: { tk_write_shortest_float32(value, $0) }, runtime: { swift_float32ToString($0, $1, value, false) },
                    naming: "float32 \(String(bits, radix: 16)): \(value.description)")
            }
            return texts.differences
        }
        print("float32: all 2^32 patterns compared with the runtime's printer, \(differing) differ (\(String(format: "%.0f", Stopwatch.now() - start)) s)")
        return differing > 0
    }

    /// Runs `slice` for every index below `slices`, at once on all cores, and adds up the differences each reports.
    static func countDiffering(slices: Int, _ slice: @Sendable (Int) -> Int) -> Int {
        let differing = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: slices) { differing.add(slice($0), ordering: .relaxed) }
        return differing.load(ordering: .relaxed)
    }
}

/// One of our printers' text and the Swift runtime printer's for the same value, in buffers reused value to value.
private struct PrintedTexts {
    private var ours = [UInt8](repeating: 0, count: 48), theirs = [CChar](repeating: 0, count: 48)
    /// Values written differently so far; the first is printed.
    private(set) var differences = 0

    /// Compares both texts: `ours` is given a buffer, `runtime` a buffer and its size; `naming` the value, for the
    /// first difference.
    mutating func compare(
        ours write: (UnsafeMutablePointer<UInt8>) -> Int, runtime: (UnsafeMutablePointer<CChar>, Int) -> Int,
        naming: @autoclosure () -> String
    ) {
        let length = ours.withUnsafeMutableBufferPointer { write($0.baseAddress!) }
        // The runtime's printer leaves some '0' positions unwritten, expecting them already there.
        for index in theirs.indices { theirs[index] = 0x30 }
        let expectedLength = theirs.withUnsafeMutableBufferPointer { runtime($0.baseAddress!, $0.count) }
        if length == expectedLength && (0..<length).allSatisfy({ ours[$0] == UInt8(bitPattern: theirs[$0]) }) { return }
        if differences == 0 { print("\(naming()) written differently") }
        differences += 1
    }
}
