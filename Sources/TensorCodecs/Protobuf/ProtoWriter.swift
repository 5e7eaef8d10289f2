/// Writes protocol buffers' wire format into one growing byte array. Nested messages are written by a closure into
/// the same array, and their length prefix is filled in afterwards (reserved at the largest a message here can need).
public struct ProtoWriter {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 128) { bytes.reserveCapacity(capacity) }

    public mutating func varint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    private mutating func key(_ number: Int, _ wireType: ProtoReader.WireType) {
        varint(UInt64(number) << 3 | UInt64(wireType.rawValue))
    }

    public mutating func uint64(_ number: Int, _ value: UInt64) {
        guard value != 0 else { return }
        key(number, .varint)
        varint(value)
    }

    public mutating func int64(_ number: Int, _ value: Int64) { uint64(number, UInt64(bitPattern: value)) }

    public mutating func bool(_ number: Int, _ value: Bool) { uint64(number, value ? 1 : 0) }

    public mutating func double(_ number: Int, _ value: Double) {
        guard value.bitPattern != 0 else { return }
        key(number, .fixed64)
        var bits = value.bitPattern
        for _ in 0..<8 {
            bytes.append(UInt8(truncatingIfNeeded: bits))
            bits >>= 8
        }
    }

    public mutating func string(_ number: Int, _ value: String, always: Bool = false) {
        guard always || !value.isEmpty else { return }
        key(number, .lengthDelimited)
        varint(UInt64(value.utf8.count))
        bytes.append(contentsOf: value.utf8)
    }

    /// A repeated int64 field, packed.
    public mutating func packedInt64s(_ number: Int, _ values: [Int64]) {
        guard !values.isEmpty else { return }
        var packed = ProtoWriter(capacity: values.count * 2)
        for value in values { packed.varint(UInt64(bitPattern: value)) }
        key(number, .lengthDelimited)
        varint(UInt64(packed.bytes.count))
        bytes.append(contentsOf: packed.bytes)
    }

    /// The key and length of a `bytes` field whose `count` bytes the caller sends after these (a tensor's bytes,
    /// written to the socket from where they lie).
    public mutating func bytesHeader(_ number: Int, count: Int) {
        key(number, .lengthDelimited)
        varint(UInt64(count))
    }

    /// One byte as it is: the caller is writing a field's value whose header it wrote (`bytesHeader`).
    public mutating func appendRaw(_ byte: UInt8) { bytes.append(byte) }

    /// A nested message (present even when empty), written by `body`.
    public mutating func message(_ number: Int, _ body: (inout ProtoWriter) -> Void) {
        key(number, .lengthDelimited)
        var nested = ProtoWriter()
        body(&nested)
        varint(UInt64(nested.bytes.count))
        bytes.append(contentsOf: nested.bytes)
    }
}
