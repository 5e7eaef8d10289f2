/// The two 16-bit formats by their field widths: all this tool needs to work out their shortest digits. It runs
/// while TensorCodecs is being built (TensorCodecs embeds its output), so it cannot use the codecs' `NarrowFormat`,
/// which rounds and converts. The JSON writer's tests read every record back through the codecs and check it is
/// shortest.
enum NarrowLayout: CaseIterable {
    case float16
    case bfloat16

    var name: String { self == .float16 ? "float16" : "bfloat16" }
    var fractionBits: Int { self == .float16 ? 10 : 7 }
    var bias: Int { self == .float16 ? 15 : 127 }
    var infinityBits: UInt16 { self == .float16 ? 0x7C00 : 0x7F80 }
}
