/// The shortest text of every float16 and bfloat16 value, worked out at build time with exact interval arithmetic
/// (`make-narrow-digits`) and embedded: one fixed-width record per pattern with the sign bit clear, a length byte
/// ('0' + length) and the text padded to `textWidth`. Writing one is a lookup and a fixed-size copy.
enum NarrowDigits {
    /// Writes the text of `bits` (sign included) and returns its length. Copies `textWidth` + 1 bytes whatever the
    /// length, so `output` must have that much room.
    @inline(__always)
    static func write(_ bits: UInt16, format: NarrowFormat, to output: UnsafeMutablePointer<UInt8>) -> Int {
        let magnitude = bits & 0x7FFF
        let records = format == .float16 ? float16Records : bfloat16Records
        let record = UnsafeRawPointer(records.utf8Start + Int(magnitude) * (textWidth + 1))
        let length = Int(record.load(as: UInt8.self) &- UInt8(ascii: "0"))
        // Python writes every NaN as NaN, whatever its sign bit.
        let sign = bits & 0x8000 != 0 && magnitude <= format.infinityBits ? 1 : 0
        output.pointee = UInt8(ascii: "-")
        let text = UnsafeMutableRawPointer(output + sign)
        text.storeBytes(of: record.loadUnaligned(fromByteOffset: 1, as: UInt64.self), as: UInt64.self)
        text.storeBytes(of: record.loadUnaligned(fromByteOffset: 9, as: UInt64.self), toByteOffset: 8, as: UInt64.self)
        text.storeBytes(of: record.loadUnaligned(fromByteOffset: 17, as: UInt16.self), toByteOffset: 16, as: UInt16.self)
        return sign + length
    }
}
