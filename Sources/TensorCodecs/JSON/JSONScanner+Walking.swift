/// The one walk of JSON objects and arrays that every reader uses (tensor bodies, KServe requests, shared-memory
/// register bodies, skipping): braces, commas and member names are checked here, values by the caller.
extension JSONScanner {
    /// How a walk names what it reads in its errors.
    struct Wording {
        /// What the object or array is: "an object", "the register request".
        var opening: String
        /// Added to the errors inside it: " in the register request", or nothing.
        var context = ""
        /// Whether a missing ':' names the member before it (never where a member name could carry a secret).
        var namesMembers = false

        static let object = Wording(opening: "an object")
        static let array = Wording(opening: "an array")
    }

    /// Walks an object: for each member, `member` gets its name, the byte offset of that name, and the scanner at
    /// the value, which it must read or skip. An empty object is allowed.
    mutating func forEachMember(
        _ wording: Wording = .object, _ member: (_ name: String, _ nameOffset: Int, inout JSONScanner) throws(CodecError) -> Void
    ) throws(CodecError) {
        try forEachItem(open: UInt8(ascii: "{"), close: UInt8(ascii: "}"), wording) { scanner throws(CodecError) in
            scanner.skipWhitespace()
            let nameOffset = scanner.index
            let name = try scanner.readString()
            try scanner.expect(
                UInt8(ascii: ":"),
                (wording.namesMembers ? "':' after \"\(name.prefix(32))\"" : "':' after a member name") + wording.context)
            scanner.skipWhitespace()
            try member(name, nameOffset, &scanner)
        }
    }

    /// Walks an array: `element` gets each element's index and the scanner at it, which it must read or skip.
    mutating func forEachElement(_ element: (Int, inout JSONScanner) throws(CodecError) -> Void) throws(CodecError) {
        var index = 0
        try forEachItem(open: UInt8(ascii: "["), close: UInt8(ascii: "]"), .array) { scanner throws(CodecError) in
            try element(index, &scanner)
            index += 1
        }
    }

    /// `open`, items separated by commas, `close`; empty is allowed.
    private mutating func forEachItem(
        open: UInt8, close: UInt8, _ wording: Wording, _ item: (inout JSONScanner) throws(CodecError) -> Void
    ) throws(CodecError) {
        try expect(open, "'\(Character(Unicode.Scalar(open)))' to open \(wording.opening)")
        skipWhitespace()
        if current == close {
            index += 1
            return
        }
        while true {
            try item(&self)
            skipWhitespace()
            if current == close {
                index += 1
                return
            }
            try expect(UInt8(ascii: ","), "',' or '\(Character(Unicode.Scalar(close)))'" + wording.context)
        }
    }
}
