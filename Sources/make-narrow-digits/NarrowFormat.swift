/// The two 16-bit formats by their field widths.
enum NarrowFormat: CaseIterable {
    case float16
    case bfloat16

    var name: String { self == .float16 ? "float16" : "bfloat16" }
    var fractionBits: Int { self == .float16 ? 10 : 7 }
    var bias: Int { self == .float16 ? 15 : 127 }
    var infinityBits: UInt16 { self == .float16 ? 0x7C00 : 0x7F80 }
}
