import Testing
import TensorKernels
@testable import TensorCodecs

@Suite struct KServeInferRequestDecoderTests {
    func decode(_ json: String, binary: [UInt8] = [], headerLength: Int? = nil) throws(CodecError) -> KServeInferRequest {
        let bytes = Array(json.utf8) + binary
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 1)
        defer { buffer.deallocate() }
        buffer.copyBytes(from: bytes)
        return try KServeInferRequestDecoder.decode(
            UnsafeRawBufferPointer(rebasing: buffer[0..<bytes.count]), headerLength: headerLength ?? (binary.isEmpty ? nil : json.utf8.count))
    }

    @Test func jsonDataFlatOrNested() throws {
        for data in ["[-1, 2, 3, 4]", "[[-1, 2], [3, 4]]"] {
            let request = try decode(
                #"{"id": "r1", "inputs": [{"name": "input", "shape": [2, 2], "datatype": "FP64", "data": \#(data)}], "parameters": {"negative_slope": 0.5}}"#)
            #expect(request.id == "r1" && request.negativeSlope == 0.5 && request.dtype == .float64 && request.shape == [2, 2])
            guard case .json(let bytes) = request.data else { Issue.record("expected JSON data"); return }
            #expect(bytes.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) } == [-1, 2, 3, 4])
            #expect(request.wantsBinaryOutput == false)
        }
    }

    @Test func binaryDataAndOutputRequests() throws {
        let request = try decode(
            #"{"inputs":[{"name":"input","shape":[3],"datatype":"FP16","parameters":{"binary_data_size":6}}],"outputs":[{"name":"output","parameters":{"binary_data":true}}]}"#,
            binary: [1, 2, 3, 4, 5, 6])
        let header = #"{"inputs":[{"name":"input","shape":[3],"datatype":"FP16","parameters":{"binary_data_size":6}}],"outputs":[{"name":"output","parameters":{"binary_data":true}}]}"#.utf8.count
        #expect(request.data == .binary(header..<(header + 6)))
        #expect(request.wantsBinaryOutput)
        let all = try decode(
            #"{"inputs":[{"name":"input","shape":[1],"datatype":"FP32","parameters":{"binary_data_size":4}}],"parameters":{"binary_data_output":true}}"#,
            binary: [0, 0, 128, 191])
        #expect(all.wantsBinaryOutput && all.outputs == nil)
    }

    @Test("Errors name what is wrong")
    func errors() {
        let input = #"{"name": "input", "shape": [2], "datatype": "FP32", "data": [1, 2]}"#
        let cases: [(String, [UInt8], String)] = [
            (#"{"inputs": ["#, [], "malformed JSON"),
            (#"{"inputs": [{"name": "input", "shape": [2], "datatype": "INT32", "data": [1, 2]}]}"#, [], "INT32"),
            (#"{"inputs": [{"name": "input", "shape": [3], "datatype": "FP32", "data": [1, 2]}]}"#, [], "needs 3"),
            (#"{"inputs": [\#(input), \#(input)]}"#, [], "a second was sent"),
            (#"{"inputs": [\#(input)], "outputs": [{"name": "logits"}]}"#, [], "unknown output \"logits\""),
            (#"{"inputs": [{"name": "x", "shape": [2], "datatype": "FP32", "data": [1, 2]}]}"#, [], "unknown input \"x\""),
            (#"{"inputs": []}"#, [], "missing or empty"),
            (#"{"inputs": [{"name": "input", "shape": [2], "datatype": "FP32", "parameters": {"binary_data_size": 4}}]}"#, [0, 0, 0, 0], "does not match"),
            (#"{"inputs": [{"name": "input", "shape": [1], "datatype": "FP32", "parameters": {"binary_data_size": 4}}]}"#, [0, 0, 0, 0, 0], "binary_data_size says 4"),
            (#"{"inputs": [{"name": "input", "shape": [1], "datatype": "FP32"}]}"#, [], "none of data, binary_data_size and shared_memory_region"),
            (#"{"inputs": [{"name": "input", "shape": [1], "datatype": "FP32", "data": [1]}], "parameters": {"negative_slope": "x"}}"#, [], "expected a number"),
            (#"{"inputs": [{"name": "input", "shape": [1], "datatype": "FP32", "data": [1], "parameters": {"shared_memory_region": "r", "shared_memory_byte_size": 4}}]}"#, [], "send one"),
            (#"{"inputs": [{"name": "input", "shape": [2], "datatype": "FP32", "parameters": {"shared_memory_region": "r", "shared_memory_byte_size": 4}}]}"#, [], "does not match"),
            (#"{"inputs": [{"name": "input", "shape": [1], "datatype": "FP32", "parameters": {"shared_memory_region": "r"}}]}"#, [], "needs shared_memory_byte_size"),
            (#"{"inputs": [{"name": "input", "shape": [1], "datatype": "FP32", "data": [1], "parameters": {"shared_memory_offset": 8}}]}"#, [], "need shared_memory_region"),
            (#"{"inputs": [\#(input)], "outputs": [{"name": "output", "parameters": {"binary_data": true, "shared_memory_region": "r", "shared_memory_byte_size": 8}}]}"#, [], "cannot also be binary"),
            (#"{"inputs": [{"name": "input", "shape": [1], "datatype": "FP32", "parameters": {"shared_memory_region": "r", "shared_memory_byte_size": -4}}]}"#, [], "shared_memory_byte_size"),
        ]
        for (json, binary, fragment) in cases {
            do {
                _ = try decode(json, binary: binary)
                Issue.record("accepted: \(json)")
            } catch {
                #expect(error.kind == .malformed)
                #expect(error.detail.contains(fragment), "\(error.detail) should mention \(fragment)")
            }
        }
        #expect(throws: CodecError.self) { try decode(#"{"inputs": []}"#, headerLength: 500) }
    }

    @Test("Shared-memory references of the input and the output, as tritonclient sends them")
    func sharedMemoryReferences() throws {
        let request = try decode(
            #"{"inputs": [{"name": "input", "shape": [2, 2], "datatype": "FP64", "parameters": {"shared_memory_region": "in", "shared_memory_byte_size": 32}}], "#
                + #""outputs": [{"name": "output", "parameters": {"binary_data": false, "shared_memory_region": "out", "shared_memory_offset": 64, "shared_memory_byte_size": 40}}]}"#)
        #expect(request.data == .sharedMemory(.init(region: "in", offset: 0, byteSize: 32)))
        #expect(request.outputSharedMemory == .init(region: "out", offset: 64, byteSize: 40))
    }
}
