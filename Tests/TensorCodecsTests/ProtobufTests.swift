import Testing
@testable import TensorCodecs

@Suite struct ProtobufTests {
    private func fields(_ bytes: [UInt8]) throws(CodecError) -> [ProtoReader.Field] {
        try bytes.withUnsafeBytes { raw in
            Result { () throws(CodecError) in
                var reader = ProtoReader(raw)
                var fields: [ProtoReader.Field] = []
                while let field = try reader.next() { fields.append(field) }
                return fields
            }
        }.get()
    }

    @Test("What the writer writes, the reader reads: every wire type, large numbers, nested messages")
    func roundTrip() throws {
        var writer = ProtoWriter()
        writer.uint64(1, 300)
        writer.int64(2, -1)
        writer.double(3, -2.5)
        writer.string(4, "héllo")
        writer.packedInt64s(5, [0, 1, 1 << 40, -3])
        writer.message(6) { $0.string(1, "inner") }
        writer.bool(7, false)
        let read = try fields(writer.bytes)
        #expect(read.map(\.number) == [1, 2, 3, 4, 5, 6], "zero values are left out, as proto3 does")
        #expect(read[0].scalar == 300 && Int64(bitPattern: read[1].scalar) == -1)
        #expect(Double(bitPattern: read[2].scalar) == -2.5)
        try writer.bytes.withUnsafeBytes { raw in
            let reader = ProtoReader(raw)
            #expect(try reader.string(read[3]) == "héllo")
            var values: [Int64] = []
            try reader.appendInt64s(read[4], to: &values)
            #expect(values == [0, 1, 1 << 40, -3])
            var inner = ProtoReader(raw, range: read[5].range)
            let field = try #require(try inner.next())
            #expect(try inner.string(field) == "inner")
        }
    }

    @Test("Broken input is an error, never a crash: cut varints and lengths, field 0, groups, 11-byte varints")
    func malformed() {
        for bytes: [UInt8] in [
            [0x08], [0x08, 0x80], [0x0A, 0x05, 1, 2], [0x00, 0x01], [0x0B], [0x0F],
            [0x08] + Array(repeating: 0xFF, count: 10) + [0x01], [0x11, 1, 2, 3], [0x15, 1],
        ] {
            #expect(throws: CodecError.self, "\(bytes)") { try fields(bytes) }
        }
    }
}
