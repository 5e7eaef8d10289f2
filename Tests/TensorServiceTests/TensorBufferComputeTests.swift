import Testing
import TensorCodecs
import TensorHTTP
@testable import TensorService

@Suite struct TensorBufferComputeTests {
    static func address(of tensor: TensorBuffer) -> UnsafeRawPointer? {
        guard case .array(let array) = tensor.storage else { return nil }
        return array.withUnsafeBytes { $0.baseAddress }
    }

    @Test("A decoded JSON tensor is computed in its own array, not in a copy")
    func computesArraysInPlace() {
        let pool = WorkerPool(threadCount: 1, maxQueue: 1)
        defer { pool.stop() }
        let values: [Float] = (0..<4096).map { Float($0) - 2048 }
        var tensor = TensorBuffer(dtype: .float32, shape: [4096], storage: .array(values.withUnsafeBytes { Array($0) }))
        let before = Self.address(of: tensor)
        tensor.compute(slope: 0.5, pool: pool)
        #expect(Self.address(of: tensor) == before)
        guard case .array(let array) = tensor.storage else { return }
        #expect(array.withUnsafeBytes { $0.load(as: Float.self) } == -1024)
    }

    @Test("A binary tensor is computed in the request body and answered from it")
    func computesBodiesInPlace() throws {
        let pool = WorkerPool(threadCount: 1, maxQueue: 1)
        defer { pool.stop() }
        let body = ByteBuffer(capacity: 8)
        body.count = 8
        body.bytes.storeBytes(of: Float(-2), toByteOffset: 0, as: Float.self)
        body.bytes.storeBytes(of: Float(3), toByteOffset: 4, as: Float.self)
        var tensor = try TensorBuffer(octet: TensorRegion(body: body), dtypeHeader: "float32", shapeHeader: "2")
        tensor.compute(slope: 0.25, pool: pool)
        #expect(body.bytes.load(as: Float.self) == -0.5)
        guard case .buffer(let answered, let range) = tensor.bodySegment else {
            Issue.record("a body's tensor is answered from the body")
            return
        }
        #expect(answered === body && range == 0..<8)
    }
}
