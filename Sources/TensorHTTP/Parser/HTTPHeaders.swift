/// Header fields in arrival order; names are stored lowercased, since HTTP field names are case-insensitive.
package struct HTTPHeaders: Sendable, Sequence {
    package private(set) var fields: [(name: String, value: String)] = []

    package init() {}

    package init(_ fields: [(String, String)]) {
        for (name, value) in fields { add(name: name, value: value) }
    }

    package mutating func add(name: String, value: String) { fields.append((name.lowercased(), value)) }

    /// The first value of `name`, or nil.
    package subscript(_ name: String) -> String? {
        let key = name.lowercased()
        return fields.first { $0.name == key }?.value
    }

    /// Every value of `name`, in order.
    package func values(_ name: String) -> [String] {
        let key = name.lowercased()
        return fields.filter { $0.name == key }.map(\.value)
    }

    /// The comma-separated elements of every `name` field, trimmed and lowercased (for Connection, Expect, ...).
    package func tokens(_ name: String) -> [String] {
        values(name).flatMap { $0.split(separator: ",") }.map { $0.trimmingSpaces.lowercased() }.filter { !$0.isEmpty }
    }

    package func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }
}

extension Substring {
    package var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
