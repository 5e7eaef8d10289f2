import Foundation

/// The query string as name → value, percent-decoded; the first of a repeated name wins.
package struct QueryParameters {
    private var values: [String: String] = [:]

    package init(_ query: Substring?) {
        guard let query else { return }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            if values[name] == nil { values[name] = parts.count > 1 ? Self.decode(parts[1]) : "" }
        }
    }

    package subscript(_ name: String) -> String? { values[name] }

    /// The names given, in no particular order.
    package var names: Dictionary<String, String>.Keys { values.keys }

    private static func decode(_ text: Substring) -> String {
        let plusAsSpace = text.replacingOccurrences(of: "+", with: " ")
        return plusAsSpace.removingPercentEncoding ?? plusAsSpace
    }
}
