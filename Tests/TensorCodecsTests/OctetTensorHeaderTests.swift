import Testing
import TensorKernels
@testable import TensorCodecs

@Suite struct OctetTensorHeaderTests {
    @Test func headersDescribeTheBody() throws {
        #expect(try OctetTensorHeader(dtype: "float16", shape: "2,3", byteCount: 12)
            == OctetTensorHeader(dtype: "float16", shape: "2, 3", byteCount: 12))
        let flat = try OctetTensorHeader(dtype: nil, shape: nil, byteCount: 8)
        #expect(flat.dtype == .float32 && flat.shape == [2] && flat.count == 2)
        let scalar = try OctetTensorHeader(dtype: "float64", shape: "", byteCount: 8)
        #expect(scalar.shape == [] && scalar.count == 1)
    }

    @Test func mismatchesAndBadValuesAreRefused() {
        #expect(throws: CodecError(.malformed, "X-Tensor-Shape [2, 2] of float32 needs 16 bytes; the body has 4")) {
            try OctetTensorHeader(dtype: nil, shape: "2,2", byteCount: 4)
        }
        #expect(throws: CodecError(.malformed, "the body's 3 bytes are not a whole number of float32 elements (4 bytes each)")) {
            try OctetTensorHeader(dtype: nil, shape: nil, byteCount: 3)
        }
        #expect(throws: CodecError.self) { try OctetTensorHeader(dtype: "uint8", shape: nil, byteCount: 4) }
    }
}
