/// Reads protocol buffers' wire format field by field, over bytes it never copies: a `bytes` or message field comes
/// back as a range of the input, so a tensor in `raw_input_contents` stays where it was received.
///
/// Bounds are checked on every read: a length or varint running past the end, a field number of 0, wire types 3
/// and 4 (groups, long deprecated) and 6–7 are errors, never a crash.
public struct ProtoReader {
    public enum WireType: UInt8, Sendable {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    /// One field: its number, its wire type, and its value (a varint or fixed value's bits, or a range of bytes).
    public struct Field {
        public var number: Int
        public var wireType: WireType
        /// The varint, or the fixed32/fixed64 bits.
        public var scalar: UInt64
        /// For a length-delimited field: its bytes, as offsets into the reader's input.
        public var range: Range<Int>
    }

    public let bytes: UnsafeRawBufferPointer
    public private(set) var offset: Int
    private let end: Int

    /// Reads `range` of `bytes` (a nested message is read with a reader of its own over its range).
    public init(_ bytes: UnsafeRawBufferPointer, range: Range<Int>? = nil) {
        self.bytes = bytes
        offset = range?.lowerBound ?? 0
        end = range?.upperBound ?? bytes.count
    }

    /// The next field, or nil at the end.
    public mutating func next() throws(CodecError) -> Field? {
        guard offset < end else { return nil }
        let key = try varint()
        let number = key >> 3
        guard number > 0, number <= 536_870_911 else { throw .malformed("protobuf: field number \(number) at byte \(offset)") }
        guard let wireType = WireType(rawValue: UInt8(key & 7)) else {
            throw .malformed("protobuf: wire type \(key & 7) of field \(number) is not supported")
        }
        switch wireType {
        case .varint:
            return Field(number: Int(number), wireType: wireType, scalar: try varint(), range: 0..<0)
        case .fixed64:
            return Field(number: Int(number), wireType: wireType, scalar: try fixed(8), range: 0..<0)
        case .fixed32:
            return Field(number: Int(number), wireType: wireType, scalar: try fixed(4), range: 0..<0)
        case .lengthDelimited:
            let length = try varint()
            guard length <= UInt64(end - offset) else {
                throw .malformed("protobuf: field \(number) claims \(length) bytes, \(end - offset) remain")
            }
            let start = offset
            offset += Int(length)
            return Field(number: Int(number), wireType: wireType, scalar: 0, range: start..<offset)
        }
    }

    private mutating func varint() throws(CodecError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while offset < end {
            let byte = bytes[offset]
            offset += 1
            guard shift < 64 else { throw .malformed("protobuf: a varint longer than 10 bytes at byte \(offset)") }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        throw .malformed("protobuf: a varint runs past the end")
    }

    private mutating func fixed(_ count: Int) throws(CodecError) -> UInt64 {
        guard end - offset >= count else { throw .malformed("protobuf: a fixed\(count * 8) field runs past the end") }
        var value: UInt64 = 0
        for index in 0..<count { value |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
        offset += count
        return value
    }

    /// A length-delimited field's bytes as UTF-8 text.
    public func string(_ field: Field) throws(CodecError) -> String {
        guard field.wireType == .lengthDelimited else { throw .malformed("protobuf: field \(field.number) is not a string") }
        guard let text = String(validating: UnsafeRawBufferPointer(rebasing: bytes[field.range]), as: UTF8.self) else {
            throw .malformed("protobuf: field \(field.number) is not valid UTF-8")
        }
        return text
    }

    /// The int64 values of a repeated field, packed (one length-delimited field) or not (one varint each).
    public func appendInt64s(_ field: Field, to values: inout [Int64]) throws(CodecError) {
        switch field.wireType {
        case .varint:
            values.append(Int64(bitPattern: field.scalar))
        case .lengthDelimited:
            var packed = ProtoReader(bytes, range: field.range)
            while packed.offset < packed.end { values.append(Int64(bitPattern: try packed.varint())) }
        default:
            throw .malformed("protobuf: field \(field.number) is not an int64")
        }
    }
}
