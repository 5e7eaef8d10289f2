import Foundation
import Testing
import TensorKernels
@testable import TensorCodecs

@Suite struct NPYHeaderTests {
    func fixture(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "npy", subdirectory: "Fixtures"))
        return Array(try Data(contentsOf: url))
    }

    func parse(_ bytes: [UInt8]) throws(CodecError) -> NPYHeader {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 1)
        defer { buffer.deallocate() }
        buffer.copyBytes(from: bytes)
        return try NPYHeader.parse(UnsafeRawBufferPointer(rebasing: buffer[0..<bytes.count]))
    }

    @Test("Files written by numpy.save parse: v1/v2/v3, big-endian, Fortran order, 0-d, empty")
    func numpyFixtures() throws {
        let cases: [(String, NPYHeader)] = [
            ("f4_c_v1", NPYHeader(dtype: .float32, shape: [2, 3], dataOffset: 128)),
            ("f8_fortran_v2", NPYHeader(dtype: .float64, isFortranOrder: true, shape: [2, 3], dataOffset: 128)),
            ("f2_big_v3", NPYHeader(dtype: .float16, isBigEndian: true, shape: [2, 3], dataOffset: 128)),
            ("f4_big_fortran", NPYHeader(dtype: .float32, isBigEndian: true, isFortranOrder: true, shape: [2, 3], dataOffset: 128)),
            ("f4_scalar", NPYHeader(dtype: .float32, shape: [], dataOffset: 128)),
            ("f8_empty", NPYHeader(dtype: .float64, shape: [0, 3], dataOffset: 128)),
        ]
        for (name, expected) in cases {
            #expect(try parse(try fixture(name)) == expected, "\(name)")
        }
    }

    @Test func integerDescrIs422() throws {
        let bytes = try fixture("i4_ints")
        #expect(throws: CodecError(.notFloatingPoint, ".npy: descr '<i4' is not floating point: leaky_relu_ is defined for float16, float32 and float64 .npy data")) {
            try parse(bytes)
        }
    }

    @Test func encodedHeadersRoundTripAndAlignTo64() throws {
        for header in [
            NPYHeader(dtype: .float32, shape: [2, 3]), NPYHeader(dtype: .float16, isBigEndian: true, shape: []),
            NPYHeader(dtype: .float64, isFortranOrder: true, shape: [7]), NPYHeader(dtype: .float32, shape: Array(repeating: 1, count: 32)),
        ] {
            let encoded = header.encoded()
            #expect(encoded.count % 64 == 0)
            var expected = header
            expected.dataOffset = encoded.count
            let data = [UInt8](repeating: 0, count: header.count * header.dtype.itemSize)
            #expect(try parse(encoded + data) == expected)
        }
    }

    static func file(_ dictionary: String, data: Int = 0, version: UInt8 = 1) -> [UInt8] {
        var header = Array(dictionary.utf8)
        header.append(0x0A)
        let lengthBytes: [UInt8] = version == 1
            ? [UInt8(header.count & 0xFF), UInt8(header.count >> 8)]
            : [UInt8(header.count & 0xFF), UInt8(header.count >> 8), 0, 0]
        return NPYHeader.magic + [version, 0] + lengthBytes + header + Array(repeating: 0, count: data)
    }

    @Test("Malformed headers are 400s that name the problem")
    func malformedHeaders() {
        let cases: [([UInt8], String)] = [
            (Array("NUMPY".utf8), "magic"),
            (NPYHeader.magic + [1, 0, 0xFF], "truncated"),
            (NPYHeader.magic + [1, 0, 0xFF, 0x00] + Array("{}".utf8), "runs past the end"),
            (NPYHeader.magic + [4, 0, 0, 0], "version 4.0"),
            (Self.file("['descr', '<f4']"), "not a dict"),
            (Self.file("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", data: 4), "needs 8 data bytes"),
            (Self.file("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }"), "64 bits"),
            (Self.file("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }"), "non-negative"),
            (Self.file("{'descr': '<f4', 'fortran_order': False, }"), "'shape'"),
            (Self.file("{'descr': '<f4', 'fortran_order': 0, 'shape': (), }"), "True, False"),
            (Self.file("{'descr': '<f16', 'fortran_order': False, 'shape': (), }"), "float size"),
            (Self.file("{'descr': 'float32', 'fortran_order': False, 'shape': (), }"), "type string"),
            (Self.file("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (), }"), "twice"),
            (Self.file("{'descr': '<f4', 'fortran_order': False, 'shape': (), } x"), "follows"),
        ]
        for (bytes, fragment) in cases {
            do {
                _ = try parse(bytes)
                Issue.record("accepted a header that should fail with \(fragment)")
            } catch {
                #expect(error.kind == .malformed, "\(fragment)")
                #expect(error.detail.contains(fragment), "\(error.detail) should mention \(fragment)")
            }
        }
    }

    @Test func fortranAndCOrderConvert() {
        // [[1, 2, 3], [4, 5, 6]] in Fortran order is 1 4 2 5 3 6.
        let fortran: [Float] = [1, 4, 2, 5, 3, 6]
        let c = fortran.withUnsafeBytes { MemoryOrder.cOrder(fromFortran: $0, shape: [2, 3], itemSize: 4) }
        #expect(c.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) } == [1, 2, 3, 4, 5, 6])
        let back = c.withUnsafeBytes { MemoryOrder.fortranOrder(fromC: $0, shape: [2, 3], itemSize: 4) }
        #expect(back.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) } == fortran)
        let cube = (0..<24).map(Float.init)
        let roundTrip = cube.withUnsafeBytes { source in
            MemoryOrder.fortranOrder(fromC: source, shape: [2, 3, 4], itemSize: 4)
        }.withUnsafeBytes { MemoryOrder.cOrder(fromFortran: $0, shape: [2, 3, 4], itemSize: 4) }
        #expect(roundTrip.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) } == cube)
    }
}
