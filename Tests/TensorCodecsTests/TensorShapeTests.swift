import Testing
@testable import TensorCodecs

@Suite struct TensorShapeTests {
    @Test func parsesTheHeader() throws {
        #expect(try TensorShape.parseHeader("2,3") == [2, 3])
        #expect(try TensorShape.parseHeader(" 2 , 3 ") == [2, 3])
        #expect(try TensorShape.parseHeader("") == [])
        #expect(try TensorShape.parseHeader("0") == [0])
        #expect(try TensorShape.parseHeader("\t4,\t5 ,6\t") == [4, 5, 6])
        #expect(try TensorShape.parseHeader(" \t ") == [])
        #expect(try TensorShape.parseHeader("9223372036854775807") == [Int.max])
        #expect(TensorShape.headerValue([2, 3]) == "2,3")
        #expect(TensorShape.headerValue([]) == "")
    }

    @Test func rejectsBadHeaders() {
        for value in ["2,", ",2", "a", "-1", "2;3", "1.5", "1, ,2", "+1", "1 2", "9223372036854775808", "99999999999999999999"] {
            #expect(throws: CodecError.self, "\(value)") { try TensorShape.parseHeader(value) }
        }
        #expect(throws: CodecError(.malformed, "X-Tensor-Shape dimension 1 is \"x\"; expected a non-negative integer")) {
            try TensorShape.parseHeader("2, x ,3")
        }
        #expect(throws: CodecError(.malformed, "X-Tensor-Shape has 33 dimensions; at most 32 are allowed")) {
            try TensorShape.parseHeader(Array(repeating: "1", count: 33).joined(separator: ","))
        }
    }

    @Test func overflowIsAnErrorNotACrash() throws {
        #expect(throws: CodecError.self) { try TensorShape.elementCount([1 << 32, 1 << 32]) }
        #expect(throws: CodecError.self) { try TensorShape.byteCount(elements: Int.max / 2, itemSize: 4) }
        #expect(try TensorShape.elementCount([]) == 1)
        #expect(try TensorShape.elementCount([3, 0, 1 << 40]) == 0)
    }

    @Test func dtypeNames() throws {
        #expect(try DTypeName.parse("bfloat16") == .bfloat16)
        #expect(throws: CodecError(.notFloatingPoint, "dtype uint64 is not floating point: leaky_relu_ is defined for float16, bfloat16, float32 and float64 only")) {
            try DTypeName.parse("uint64")
        }
        #expect(throws: CodecError.self) { try DTypeName.parse("Float32") }
    }
}
