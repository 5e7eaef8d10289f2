import Foundation

// Writes the shortest round-trip text of every float16 and bfloat16 magnitude as Swift source, so the service
// looks them up instead of working them out (or building a table) at run time. Each format is one string of 32,768
// fixed-width records, one per pattern with the sign bit clear: a length byte ('0' + length), then the text padded
// with spaces to `NarrowDigits.textWidth`.
let arguments = CommandLine.arguments
guard arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: make-narrow-digits OUTPUT.swift\n".utf8))
    exit(2)
}
let textWidth = 18
var source = """
    // Generated at build time by make-narrow-digits (exact shortest digits, NarrowShortest); do not edit.
    extension NarrowDigits {
        static var textWidth: Int { \(textWidth) }

    """
for format in NarrowLayout.allCases {
    var records = ""
    records.reserveCapacity(32_768 * (textWidth + 1))
    for bits in 0...UInt16(0x7FFF) {
        let text = PythonText.text(magnitude: bits, format: format)
        precondition(text.utf8.count <= textWidth, "\(text) is longer than \(textWidth)")
        records += String(UnicodeScalar(UInt8(ascii: "0") + UInt8(text.utf8.count)))
        records += text + String(repeating: " ", count: textWidth - text.utf8.count)
    }
    source += "    static var \(format.name)Records: StaticString { \"\(records)\" }\n"
}
source += "}\n"
try Data(source.utf8).write(to: URL(fileURLWithPath: arguments[1]))
