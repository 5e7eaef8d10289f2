import Testing
import TensorHTTP
@testable import TensorService

@Suite struct TensorPayloadTests {
    static func address(of payload: TensorPayload) -> UnsafeRawPointer? {
        guard case .bytes(let array) = payload.storage else { return nil }
        return array.withUnsafeBytes { $0.baseAddress }
    }

    static func makePayload() -> TensorPayload {
        let values: [Float] = (0..<4096).map { Float($0) - 2048 }
        return TensorPayload(dtype: .float32, shape: [4096], layout: .nested, storage: .bytes(values.withUnsafeBytes { Array($0) }))
    }

    @Test("A decoded JSON tensor is computed in its own array, not in a copy")
    func computesInPlace() {
        let pool = WorkerPool(threadCount: 1, maxQueue: 1)
        defer { pool.stop() }
        var payload = Self.makePayload()
        let before = Self.address(of: payload)
        payload.compute(slope: 0.5, pool: pool)
        #expect(Self.address(of: payload) == before)
        guard case .bytes(let array) = payload.storage else { return }
        #expect(array.withUnsafeBytes { $0.load(as: Float.self) } == -1024)
    }
}
