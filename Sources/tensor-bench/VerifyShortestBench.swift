import ArgumentParser
import CNumberText
import Dispatch
import Foundation
import Synchronization
import TensorCodecs
import TensorKernels
import TensorTestSupport

/// `tensor-bench verify-shortest`: the JSON writer's float32 and float64 texts against Swift's own `description`
/// on millions of random patterns, and with `--all` our float32 printer against the Swift runtime's on every one
/// of the 2^32 patterns. (float16 and bfloat16 are checked exhaustively by the unit tests.)
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
        if all { failed = Self.compareEveryFloat32() || failed }
        if failed { throw ExitCode.failure }
    }

    /// description, with NaN and the infinities as the writer spells them for Python's json module.
    static func pythonStyle<T: BinaryFloatingPoint & CustomStringConvertible>(_ value: T) -> String {
        value.isNaN ? "NaN" : value.isInfinite ? (value < 0 ? "-Infinity" : "Infinity") : value.description
    }

    /// True when some finite float32 prints differently from the runtime's shortest printer.
    static func compareEveryFloat32() -> Bool {
        let slices = 256
        let differing = Atomic<Int>(0)
        let start = Stopwatch.now()
        DispatchQueue.concurrentPerform(iterations: slices) { slice in
            var ours = [UInt8](repeating: 0, count: 32), theirs = [CChar](repeating: 0, count: 32)
            var found = 0
            let first = UInt32(slice) << 24
            for bits in first...(first | 0xFF_FFFF) {
                let value = Float(bitPattern: bits)
                guard value.isFinite else { continue }
                let length = tk_write_shortest_float32(value, &ours)
                // The runtime's printer leaves some '0' positions unwritten, expecting them already there.
                for index in 0..<32 { theirs[index] = 0x30 }
                let expectedLength = swift_float32ToString(&theirs, 32, value, false)
                if length != expectedLength || !(0..<length).allSatisfy({ ours[$0] == UInt8(bitPattern: theirs[$0]) }) {
                    if found == 0 { print("float32 \(String(bits, radix: 16)): \(value.description) written differently") }
                    found += 1
                }
            }
            differing.add(found, ordering: .relaxed)
        }
        print("float32: all 2^32 patterns compared with the runtime's printer, \(differing.load(ordering: .relaxed)) differ (\(String(format: "%.0f", Stopwatch.now() - start)) s)")
        return differing.load(ordering: .relaxed) > 0
    }
}
