import ArgumentParser
import Foundation
import TensorCodecs
import TensorKernels

/// `tensor-bench json`: MB/s of JSON text read into and written from a float32 buffer, beside Foundation's
/// JSONSerialization doing the same in the same run.
struct JSONBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "json", abstract: "JSON tensor read/write MB/s against Foundation's JSONSerialization.")

    @Option(help: "float32 values in the tensor.")
    var count = 1 << 20

    @Flag(help: "Skip the Foundation reference (for profiling our codec alone).")
    var skipFoundation = false

    func run() throws {
        var state: UInt64 = 42
        let values = (0..<count).map { _ -> Float in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: state >> 11) % 2_000_000) / 1000
        }
        let data = values.withUnsafeBytes { Array($0) }
        let text = try data.withUnsafeBytes { try JSONTensorWriter.write(dtype: .float32, shape: [count], layout: .nested, data: $0) }
        let megabytes = Double(text.count) / 1e6
        print("JSON text of \(count) float32 values: \(String(format: "%.1f", megabytes)) MB")

        let read = Stopwatch.secondsPerCall(trials: 3, minimumSeconds: 0.2) {
            _ = try! text.withUnsafeBytes { try JSONTensorReader.read($0) }
        }
        let write = Stopwatch.secondsPerCall(trials: 3, minimumSeconds: 0.2) {
            _ = try! data.withUnsafeBytes { try JSONTensorWriter.write(dtype: .float32, shape: [count], layout: .nested, data: $0) }
        }
        func mbps(_ seconds: Double) -> Double { megabytes / seconds }
        if skipFoundation {
            print(String(format: "read %.0f MB/s, write %.0f MB/s", mbps(read), mbps(write)))
            return
        }
        let foundationText = Data(text)
        let foundationRead = Stopwatch.secondsPerCall(trials: 1, minimumSeconds: 0.2) {
            let object = try! JSONSerialization.jsonObject(with: foundationText) as! [String: Any]
            let numbers = object["data"] as! [NSNumber]
            var sink = [Float](repeating: 0, count: numbers.count)
            for (index, number) in numbers.enumerated() { sink[index] = number.floatValue }
            precondition(sink.count == values.count)
        }
        let foundationWrite = Stopwatch.secondsPerCall(trials: 1, minimumSeconds: 0.2) {
            let object: [String: Any] = ["dtype": "float32", "shape": [count], "data": values.map { NSNumber(value: $0) }]
            _ = try! JSONSerialization.data(withJSONObject: object)
        }
        print(pad("", 10) + pad("ours MB/s", 12) + pad("Foundation MB/s", 17) + "ratio")
        print(pad("read", 10) + pad(String(format: "%.0f", mbps(read)), 12) + pad(String(format: "%.0f", mbps(foundationRead)), 17)
            + String(format: "%.1f×", foundationRead / read))
        print(pad("write", 10) + pad(String(format: "%.0f", mbps(write)), 12) + pad(String(format: "%.0f", mbps(foundationWrite)), 17)
            + String(format: "%.1f×", foundationWrite / write))
    }
}
