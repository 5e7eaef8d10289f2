import Synchronization
import TensorMemory
import Testing
import TensorKernels
@testable import TensorCodecs

@Suite struct KServeGRPCInferRequestTests {
    /// A ModelInferRequest as tritonclient builds it, with what a test changes.
    private func request(
        model: String = "leaky_relu", datatype: String = "FP32", shape: [Int64] = [2, 2], raw: [[UInt8]]? = nil,
        fp32: [Float]? = nil, slope: Double? = nil, slopeAsInt: Int64? = nil, slopeAsText: String? = nil, inputs: Int = 1,
        id: String = "req-1",
        outputName: String = "output"
    ) -> [UInt8] {
        var writer = ProtoWriter()
        writer.string(1, model)
        writer.string(3, id)
        if let slope {
            writer.message(4) { entry in
                entry.string(1, "negative_slope")
                entry.message(2) { $0.double(4, slope) }
            }
        }
        if let slopeAsText {
            writer.message(4) { entry in
                entry.string(1, "negative_slope")
                entry.message(2) { $0.string(3, slopeAsText) }
            }
        }
        if let slopeAsInt {
            writer.message(4) { entry in
                entry.string(1, "negative_slope")
                entry.message(2) { $0.int64(2, slopeAsInt) }
            }
        }
        for _ in 0..<inputs {
            writer.message(5) { input in
                input.string(1, "input")
                input.string(2, datatype)
                input.packedInt64s(3, shape)
                if let fp32 {
                    input.message(5) { contents in
                        contents.bytesHeader(6, count: fp32.count * 4)
                        for value in fp32 { for byte in withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init) { contents.varintByte(byte) } }
                    }
                }
            }
        }
        writer.message(6) { $0.string(1, outputName) }
        for bytes in raw ?? (fp32 == nil ? [Array(repeating: 0x40, count: 16)] : []) {
            writer.bytesHeader(7, count: bytes.count)
            for byte in bytes { writer.varintByte(byte) }
        }
        return writer.bytes
    }

    private func decode(_ bytes: [UInt8], admit: MemoryAdmission = admitAnything) throws(CodecError) -> KServeGRPCInferRequest.Decoded {
        try bytes.withUnsafeBytes { raw in Result { () throws(CodecError) in try KServeGRPCInferRequest.decode(raw, admit: admit) } }.get()
    }

    @Test("Typed contents are admitted at their size before the array is made; a refusal says why")
    func typedContentsAdmitted() throws {
        let asked = Mutex<[Int]>([])
        _ = try decode(request(shape: [3], fp32: [-1, 0.5, 2]), admit: MemoryAdmission { bytes in
            asked.withLock { $0.append(bytes) }
            return .granted
        })
        #expect(asked.withLock { $0 } == [12])
        do {
            _ = try decode(request(shape: [3], fp32: [-1, 0.5, 2]), admit: MemoryAdmission { _ in .exceedsLimit(8) })
            Issue.record("admitted past the limit")
        } catch {
            #expect(error.kind == .exceedsBudget, "\(error.detail)")
        }
        // Raw contents stay in the message: nothing is asked.
        _ = try decode(request(), admit: MemoryAdmission { _ in .busy })
    }

    @Test("raw_input_contents stays a range of the message; id, slope and the output are read")
    func rawContents() throws {
        let bytes = request(slope: 0.25)
        let decoded = try decode(bytes)
        #expect(decoded.modelName == "leaky_relu" && decoded.modelVersion == "")
        #expect(decoded.request.id == "req-1" && decoded.request.negativeSlope == 0.25)
        #expect(decoded.request.dtype == .float32 && decoded.request.shape == [2, 2])
        guard case .binary(let range) = decoded.request.data else {
            Issue.record("not binary: \(decoded.request.data)")
            return
        }
        #expect(range.count == 16 && range.upperBound == bytes.count)
        #expect(bytes[range].allSatisfy { $0 == 0x40 })
        #expect(decoded.request.outputs?.first?.name == "output")
        #expect(try decode(request(slopeAsInt: -2)).request.negativeSlope == -2, "an int64 slope")
        #expect(try decode(request(slopeAsText: "0.1")).request.negativeSlope == 0.1, "a decimal string, as the KServe SDK sends")
        #expect(throws: CodecError.self) { try decode(request(slopeAsText: "steep")) }
        #expect(throws: CodecError.self) { try decode(request(slopeAsText: "inf")) }
    }

    @Test("FP32 in typed contents is read into an array of its own")
    func typedContents() throws {
        let decoded = try decode(request(shape: [3], fp32: [-1, 0.5, 2]))
        guard case .json(let array) = decoded.request.data else {
            Issue.record("not decoded into an array")
            return
        }
        #expect(array == [Float(-1), 0.5, 2].flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
    }

    @Test("Each mistake is an error that says what is wrong")
    func errors() {
        let cases: [([UInt8], String)] = [
            (request(datatype: "INT32"), "INT32"),
            (request(shape: [3, 2]), "raw_input_contents[0] is 16 bytes"),
            (request(inputs: 2), "inputs has 2"),
            (request(raw: [[0, 0], [1, 1]]), "raw_input_contents has 2"),
            (request(outputName: "other"), "unknown output"),
            (request(shape: [2], fp32: [1, 2, 3]), "more values than the shape's 2"),
            (request(shape: [4], fp32: [1, 2, 3]), "the shape needs 4"),
            (request(datatype: "FP16", shape: [2], fp32: [1, 2]), "raw_input_contents"),
            (request(shape: [-1]), "negative"),
        ]
        for (bytes, expected) in cases {
            do {
                _ = try decode(bytes)
                Issue.record("no error for \(expected)")
            } catch {
                #expect(error.kind == .malformed && error.detail.contains(expected), "\(error.detail)")
            }
        }
    }

    @Test("Random bytes never crash the decoder")
    func randomBytes() {
        var generator = SystemRandomNumberGenerator()
        let valid = request()
        for _ in 0..<20_000 {
            var bytes = valid
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            if Bool.random(using: &generator) { bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &generator))) }
            _ = try? decode(bytes)
        }
    }

    @Test("The response: tensor bytes last, after a head that counts them")
    func response() throws {
        let decoded = try decode(request())
        let tensor = TensorBuffer(dtype: .float32, shape: [2, 2], layout: .flat, storage: .array(Array(repeating: 0x40, count: 16)))
        let response = KServeGRPCInferResponse(answering: decoded.request, with: tensor, modelName: "leaky_relu", modelVersion: "1")
        let whole = response.head + Array(repeating: 0x40, count: 16)
        #expect(response.count == whole.count)
        try whole.withUnsafeBytes { raw in
            var reader = ProtoReader(raw)
            var numbers: [Int] = []
            while let field = try reader.next() {
                numbers.append(field.number)
                if field.number == 6 { #expect(field.range == (whole.count - 16)..<whole.count) }
                if field.number == 3 { #expect(try reader.string(field) == "req-1") }
            }
            #expect(numbers == [1, 2, 3, 5, 6])
        }
    }
}

extension ProtoWriter {
    /// One raw byte, for tests that build bytes fields by hand.
    mutating func varintByte(_ byte: UInt8) { appendRaw(byte) }
}
