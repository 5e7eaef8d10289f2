/// ASCII-only text helpers for protocol tokens.
///
/// Why not Foundation's `trimmingCharacters(in:)` and the standard `lowercased()`: they work on Unicode
/// characters, bridge through NSString and allocate, and header handling runs several times per request. HTTP's
/// delimiters, whitespace and token case rules are ASCII (RFC 9110 §5.6), so byte-level work gives the same answers.
/// The helpers are written for `Substring` rather than `StringProtocol` so that they compile to concrete code.
extension Substring {
    /// The text with ASCII capitals turned into small letters; other bytes, UTF-8 included, are unchanged.
    package var asciiLowercased: String {
        guard utf8.hasASCIICapital else { return String(self) }
        return String(decoding: utf8.map { isASCIICapital($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    /// The text without leading and trailing spaces and tabs (RFC 9110 §5.6.3 OWS).
    package var trimmingSpaces: Substring {
        let utf8 = self.utf8
        var start = utf8.startIndex
        var end = utf8.endIndex
        while start < end, isSpaceOrTab(utf8[start]) { utf8.formIndex(after: &start) }
        while start < end, isSpaceOrTab(utf8[utf8.index(before: end)]) { utf8.formIndex(before: &end) }
        // Spaces and tabs are single UTF-8 bytes, so these indices fall on character boundaries.
        return self[start..<end]
    }

    /// Whether the text equals `lowercase` when ASCII case is ignored.
    package func equalsIgnoringASCIICase(_ lowercase: String) -> Bool {
        // Lengths first (a different media type nearly always differs in length), then the bytes where they lie:
        // stepping two UTF-8 views element by element cost thousands of instructions per request.
        guard utf8.count == lowercase.utf8.count else { return false }
        var text = self
        var expected = lowercase
        return text.withUTF8 { actual in
            expected.withUTF8 { expected in
                for index in 0..<actual.count {
                    let byte = actual[index]
                    if (isASCIICapital(byte) ? byte | 0x20 : byte) != expected[index] { return false }
                }
                return true
            }
        }
    }
}

extension String {
    package var asciiLowercased: String { utf8.hasASCIICapital ? self[...].asciiLowercased : self }
    package var trimmingSpaces: Substring { self[...].trimmingSpaces }
}

extension Collection<UInt8> {
    /// Scans contiguous storage directly when there is one (native strings have it), which is several times faster
    /// than stepping string indices.
    fileprivate var hasASCIICapital: Bool {
        withContiguousStorageIfAvailable { $0.contains(where: isASCIICapital) } ?? contains(where: isASCIICapital)
    }
}

private func isASCIICapital(_ byte: UInt8) -> Bool { byte >= 0x41 && byte <= 0x5A }
private func isSpaceOrTab(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
