/// Header fields in arrival order; names are stored lowercased, since HTTP field names are case-insensitive.
package struct HTTPHeaders: Sendable, Sequence {
    package private(set) var fields: [(name: String, value: String)] = []

    package init() {}

    /// Room for `capacity` fields before the storage grows (a request's few fields in one allocation).
    package init(reservingCapacity capacity: Int) { fields.reserveCapacity(capacity) }

    package init(_ fields: [(String, String)]) {
        for (name, value) in fields { add(name: name, value: value) }
    }

    /// Empties the fields, keeping their storage when nothing else shares it (a decoder's next head reuses it).
    package mutating func removeAllKeepingCapacity() { fields.removeAll(keepingCapacity: true) }

    /// Field names are ASCII tokens, so ASCII lowercasing is the whole of HTTP's case-insensitivity.
    package mutating func add(name: String, value: String) { fields.append((name.asciiLowercased, value)) }

    /// For the parser, which lowercases names as it copies them out of the head.
    mutating func add(lowercasedName name: String, value: String) { fields.append((name, value)) }

    /// The first value of `name`, or nil.
    package subscript(_ name: String) -> String? {
        let key = name.asciiLowercased
        return fields.first { $0.name == key }?.value
    }

    /// How many fields are named `name` (no array made: this runs for every request).
    package func count(_ name: String) -> Int {
        let key = name.asciiLowercased
        var count = 0
        for field in fields where field.name == key { count += 1 }
        return count
    }

    package func contains(_ name: String) -> Bool {
        let key = name.asciiLowercased
        return fields.contains { $0.name == key }
    }

    /// Every value of `name`, in order.
    package func values(_ name: String) -> [String] {
        let key = name.asciiLowercased
        return fields.filter { $0.name == key }.map(\.value)
    }

    /// The comma-separated elements of every `name` field, trimmed and lowercased (for Connection, Expect, ...).
    package func tokens(_ name: String) -> [String] {
        let key = name.asciiLowercased
        var tokens: [String] = []
        for field in fields where field.name == key {
            for element in field.value.utf8.split(separator: UInt8(ascii: ",")) {
                let token = Substring(element).trimmingSpaces
                if !token.isEmpty { tokens.append(token.asciiLowercased) }
            }
        }
        return tokens
    }

    package func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }
}
