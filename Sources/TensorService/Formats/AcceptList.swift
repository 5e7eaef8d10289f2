import TensorHTTP

/// One parser for the comma-separated, weighted lists of `Accept` and `Accept-Encoding` (RFC 9110 §12.4.2, §12.5).
enum AcceptList {
    struct Element: Equatable {
        /// The media range or coding, lowercased.
        var value: String
        /// 0…1; 0 excludes.
        var quality: Double
    }

    /// The list's elements in order. An element with a malformed weight (`q=5`, `q=0.1234`, `q=x`) is dropped: it
    /// says nothing a server can honour. Other parameters are ignored.
    static func parse(_ header: String) -> [Element] {
        header.split(separator: ",").compactMap { element -> Element? in
            let parts = element.split(separator: ";").map(\.trimmingSpaces)
            guard let first = parts.first, !first.isEmpty else { return nil }
            var quality = 1.0
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map(\.trimmingSpaces)
                guard pair.count == 2, pair[0].equalsIgnoringASCIICase("q") else { continue }
                guard let weight = qvalue(String(pair[1])) else { return nil }
                quality = weight
            }
            return Element(value: first.asciiLowercased, quality: quality)
        }
    }

    /// RFC 9110 §12.4.2: `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`.
    static func qvalue(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        guard let lead = bytes.first, lead == UInt8(ascii: "0") || lead == UInt8(ascii: "1") else { return nil }
        guard bytes.count > 1 else { return lead == UInt8(ascii: "1") ? 1 : 0 }
        let decimals = bytes.dropFirst(2)
        guard bytes[1] == UInt8(ascii: "."), decimals.count <= 3,
            decimals.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        if lead == UInt8(ascii: "1") { return decimals.allSatisfy { $0 == UInt8(ascii: "0") } ? 1 : nil }
        return Double(text)
    }
}
