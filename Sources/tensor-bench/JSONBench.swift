import ArgumentParser
import CNumberText
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

    @Option(help: "Only this dtype's row (for profiling one path).")
    var dtype: DType?

    @Option(help: "Force the first pass's scan: portable (8 bytes at a time), avx2 or avx512 (default: the widest this CPU has).")
    var path: String?

    func run() throws {
        let scan = tk_json_use_scan(Int32(try path.map(KernelPath.forced)?.rawValue ?? -1))
        print("First pass: \(["portable", "avx2", "avx512"][Int(scan)]) scan.")
        print("Per dtype, \(count) values: texts as this service writes them (shortest digits), and float32 values as")
        print("Python's json module writes them after tolist() (the double's shortest digits, up to 17).")
        print(pad("dtype", 10) + pad("values", 24) + pad("bytes/value", 13) + pad("read MB/s", 11) + "write MB/s")
        for dtype in [DType.float32, .float64, .float16, .bfloat16] where self.dtype == nil || self.dtype == dtype {
            let data = Self.randomTensor(dtype: dtype, count: count, spread: 4)
            let text = try data.withUnsafeBytes { try JSONTensorWriter.flatArray(dtype: dtype, data: $0) }
            let (read, write) = try measure(dtype: dtype, text: text, data: data)
            print(pad(dtype.rawValue, 10) + pad("random, shortest", 24) + pad(String(format: "%.1f", Double(text.count) / Double(count)), 13)
                + pad(String(format: "%.0f", read), 11) + String(format: "%.0f", write))
        }
        if self.dtype != nil { return }
        let pythonText = Array(("[" + Self.randomTensor(dtype: .float32, count: count, spread: 4).withUnsafeBytes {
            $0.bindMemory(to: Float.self).map { Double($0).description }.joined(separator: ",")
        } + "]").utf8)
        let pythonRead = try measure(dtype: .float32, text: pythonText, data: nil).read
        print(pad("float32", 10) + pad("random, as Python writes", 24)
            + pad(String(format: "%.1f", Double(pythonText.count) / Double(count)), 13) + String(format: "%.0f", pythonRead))

        var state: UInt64 = 42
        let values = (0..<count).map { _ -> Float in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: state >> 11) % 2_000_000) / 1000
        }
        let data = values.withUnsafeBytes { Array($0) }
        let text = try data.withUnsafeBytes { try JSONTensorWriter.write(dtype: .float32, shape: [count], layout: .nested, data: $0) }
        let megabytes = Double(text.count) / 1e6
        let read = Stopwatch.secondsPerCall(trials: 3, minimumSeconds: 0.2) {
            _ = try! text.withUnsafeBytes { try JSONTensorReader.read($0) }
        }
        let write = Stopwatch.secondsPerCall(trials: 3, minimumSeconds: 0.2) {
            _ = try! data.withUnsafeBytes { try JSONTensorWriter.write(dtype: .float32, shape: [count], layout: .nested, data: $0) }
        }
        func mbps(_ seconds: Double) -> Double { megabytes / seconds }
        print(pad("float32", 10) + pad("3 decimals (123.456)", 24) + pad(String(format: "%.1f", Double(text.count) / Double(count)), 13)
            + pad(String(format: "%.0f", mbps(read)), 11) + String(format: "%.0f", mbps(write)))
        if skipFoundation { return }
        print("")
        print("The 3-decimal float32 tensor beside Foundation's JSONSerialization:")
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

    /// MB/s reading `text` as `dtype` (a JSON array, read as the service reads a request's data) and writing `data`.
    private func measure(dtype: DType, text: [UInt8], data: [UInt8]?) throws -> (read: Double, write: Double) {
        let document = Array("{\"dtype\":\"\(dtype.rawValue)\",\"data\":".utf8) + text + Array("}".utf8)
        let megabytes = Double(text.count) / 1e6
        let read = Stopwatch.secondsPerCall(trials: 3, minimumSeconds: 0.2) {
            _ = try! document.withUnsafeBytes { try JSONTensorReader.read($0) }
        }
        guard let data else { return (megabytes / read, .nan) }
        let write = Stopwatch.secondsPerCall(trials: 3, minimumSeconds: 0.2) {
            _ = try! data.withUnsafeBytes { try JSONTensorWriter.flatArray(dtype: dtype, data: $0) }
        }
        return (megabytes / read, megabytes / write)
    }

    /// `count` values of `dtype`, uniform in ±`spread`, as little-endian bytes; the same every run.
    static func randomTensor(dtype: DType, count: Int, spread: Float) -> [UInt8] {
        var state: UInt64 = 7
        let floats = (0..<count).map { _ -> Float in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (Float(state >> 40) / Float(1 << 24) * 2 - 1) * spread
        }
        switch dtype {
        case .float32: return floats.withUnsafeBytes { Array($0) }
        case .float64: return floats.map { Double($0) * (1 + 0x1p-30) }.withUnsafeBytes { Array($0) }
        case .float16: return floats.map { Float16($0) }.withUnsafeBytes { Array($0) }
        case .bfloat16: return floats.map { BFloat16Bits.bits(from: $0) }.withUnsafeBytes { Array($0) }
        }
    }
}

extension DType: ExpressibleByArgument {}
