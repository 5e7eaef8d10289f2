import Foundation
import Synchronization
import TensorMemory
import Testing
import TensorKernels
@testable import TensorCodecs

/// Memory a region points into, kept alive by the region's owner.
private final class Memory {
    let bytes: UnsafeMutableRawBufferPointer

    init(_ contents: [UInt8]) {
        bytes = .allocate(byteCount: max(1, contents.count), alignment: 64)
        bytes.copyBytes(from: contents)
    }

    deinit { bytes.deallocate() }

    func region(_ range: Range<Int>) -> TensorRegion { TensorRegion(owner: self, base: bytes.baseAddress!, range: range) }
}

@Suite struct TensorBufferTests {
    static func bytes<T>(_ values: [T]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }

    static func elements<T>(_ tensor: TensorBuffer, as type: T.Type) -> [T] {
        tensor.withBytes { raw in (0..<raw.count / MemoryLayout<T>.size).map { raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self) } }
    }

    @Test("Big-endian elements are swapped where they lie, at any offset; an array is not copied to be swapped")
    func bigEndianSwapsInPlace() throws {
        let values: [UInt32] = [0x0102_0304, 0xA0B0_C0D0]
        let memory = Memory([0xEE] + Self.bytes(values.map(\.bigEndian)))
        var tensor = TensorBuffer(dtype: .float32, shape: [2], isBigEndian: true, storage: .region(memory.region(1..<9)))
        try tensor.makeLittleEndianCOrder(admit: admitAnything)
        #expect(!tensor.isBigEndian && Self.elements(tensor, as: UInt32.self) == values)
        #expect(memory.bytes[0] == 0xEE && Array(memory.bytes[1..<9]) == Self.bytes(values), "swapped in the owner's memory")

        var array = TensorBuffer(dtype: .float16, shape: [2], isBigEndian: true, storage: .array([0x3C, 0x00, 0xBC, 0x00]))
        try array.makeLittleEndianCOrder(admit: admitAnything)
        #expect(Self.elements(array, as: UInt16.self) == [0x3C00, 0xBC00])
    }

    @Test("Fortran order becomes C order in one admitted copy; a refused copy is 503-kind, and the tensor is unchanged")
    func fortranOrderCopies() throws {
        // Shape [2, 3] in Fortran order: columns first.
        let fortran: [Double] = [1, 4, 2, 5, 3, 6]
        var tensor = TensorBuffer(dtype: .float64, shape: [2, 3], isFortranOrder: true, storage: .array(Self.bytes(fortran)))
        var refused = tensor
        #expect(throws: CodecError.self) { try refused.makeLittleEndianCOrder(admit: MemoryAdmission { _ in .busy }) }
        #expect(refused.isFortranOrder)
        let asked = Mutex<[Int]>([])
        try tensor.makeLittleEndianCOrder(admit: MemoryAdmission { bytes in asked.withLock { $0.append(bytes) }; return .granted })
        #expect(asked.withLock { $0 } == [48])
        #expect(!tensor.isFortranOrder && Self.elements(tensor, as: Double.self) == [1, 2, 3, 4, 5, 6])
    }

    @Test(".npy: the data is read where it lies after the header, and the answer's header keeps its byte order")
    func npyRoundTrip() throws {
        let header = NPYHeader(dtype: .float32, isBigEndian: true, shape: [2]).encoded()
        let memory = Memory(header + Self.bytes([Float(-1), 2].map(\.bitPattern.bigEndian)))
        let tensor = try TensorBuffer(npy: memory.region(0..<memory.bytes.count))
        guard case .region(let region) = tensor.storage else {
            Issue.record("an .npy tensor stays in its file's memory")
            return
        }
        #expect(region.range == header.count..<header.count + 8 && region.owner === memory)
        #expect(try tensor.npyHeader() == header)
        let bfloat16 = TensorBuffer(dtype: .bfloat16, shape: [1], storage: .array([0, 0]))
        #expect(throws: CodecError.self) { try bfloat16.npyHeader() }
    }

    @Test("Raw bytes: the headers are checked against the body's length")
    func octet() throws {
        let memory = Memory(Self.bytes([Float(1), 2, 3, 4]))
        let tensor = try TensorBuffer(octet: memory.region(0..<16), dtypeHeader: "float32", shapeHeader: "2,2")
        #expect(tensor.shape == [2, 2] && tensor.count == 4 && tensor.octetShapeHeader == "2,2")
        #expect(throws: CodecError.self) { try TensorBuffer(octet: memory.region(0..<16), dtypeHeader: "float64", shapeHeader: "3") }
    }

    @Test("KServe answers: JSON data in pieces, or a header that counts itself with the elements after it")
    func kserveResponse() throws {
        let json = #"{"id":"a\"b","inputs":[{"name":"input","shape":[2],"datatype":"FP32","data":[-1,2]}]}"#
        let request = try json.utf8.withContiguousStorageIfAvailable { text in
            try KServeInferRequestDecoder.decode(UnsafeRawBufferPointer(text), headerLength: nil)
        }!
        let memory = Memory([])
        let tensor = try TensorBuffer(kserve: request, body: memory.region(0..<0))
        let answer = try KServeInferResponse(answering: request, with: tensor, modelName: "m", modelVersion: "1")
        #expect(answer.binaryData == nil)
        #expect(String(decoding: answer.json.joined(), as: UTF8.self)
            == #"{"model_name":"m","model_version":"1","id":"a\"b","outputs":[{"name":"output","datatype":"FP32","shape":[2],"data":[-1.0,2.0]}]}"#)

        let binaryJSON = #"{"inputs":[{"name":"input","shape":[2],"datatype":"FP32","parameters":{"binary_data_size":8}}],"outputs":[{"name":"output","parameters":{"binary_data":true}}]}"#
        let body = Memory(Array(binaryJSON.utf8) + Self.bytes([Float(-1), 2]))
        let binaryRequest = try KServeInferRequestDecoder.decode(
            UnsafeRawBufferPointer(body.bytes), headerLength: binaryJSON.utf8.count)
        let binaryTensor = try TensorBuffer(kserve: binaryRequest, body: body.region(0..<body.bytes.count))
        let binaryAnswer = try KServeInferResponse(answering: binaryRequest, with: binaryTensor, modelName: "m", modelVersion: "1")
        guard case .region(let region)? = binaryAnswer.binaryData?.storage else {
            Issue.record("binary output is answered from the request body")
            return
        }
        #expect(region.owner === body && region.range == binaryJSON.utf8.count..<binaryJSON.utf8.count + 8)
        #expect(String(decoding: binaryAnswer.json.joined(), as: UTF8.self).hasSuffix(#""parameters":{"binary_data_size":8}}]}"#))
    }
}
