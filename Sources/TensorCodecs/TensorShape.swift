/// Shape arithmetic that cannot overflow silently.
public enum TensorShape {
    /// Most dimensions a tensor may have (PyTorch's limit is 64; NumPy's is 32).
    public static let maxRank = 32

    /// The number of elements, or a 400 when the product overflows 64 bits.
    public static func elementCount(_ shape: [Int]) throws(CodecError) -> Int {
        guard shape.count <= maxRank else { throw .malformed("shape has \(shape.count) dimensions; at most \(maxRank) are allowed") }
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { throw .malformed("shape \(shape) has a negative dimension") }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw .malformed("shape \(shape) has more elements than 64 bits can count") }
            count = product
        }
        return count
    }

    /// Bytes for `count` elements of `itemSize`, or a 400 on overflow.
    public static func byteCount(elements count: Int, itemSize: Int) throws(CodecError) -> Int {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: itemSize)
        guard !overflow else { throw .malformed("the tensor's byte size overflows 64 bits") }
        return bytes
    }

    /// Parses `X-Tensor-Shape`: comma-separated sizes (`2,3`); the empty value is a 0-d scalar.
    public static func parseHeader(_ value: String) throws(CodecError) -> [Int] {
        let trimmed = value.trimmingCharacters(in: " \t")
        if trimmed.isEmpty { return [] }
        let parts = trimmed.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count <= maxRank else { throw .malformed("X-Tensor-Shape has \(parts.count) dimensions; at most \(maxRank) are allowed") }
        var shape: [Int] = []
        for (index, part) in parts.enumerated() {
            let text = part.trimmingCharacters(in: " \t")
            guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let size = Int(text) else {
                throw .malformed("X-Tensor-Shape dimension \(index) is \"\(text.prefix(32))\"; expected a non-negative integer")
            }
            shape.append(size)
        }
        return shape
    }

    /// The canonical header form: `2,3`, and the empty string for a 0-d tensor.
    public static func headerValue(_ shape: [Int]) -> String { shape.map(String.init).joined(separator: ",") }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        let characters = Set(set)
        return String(drop { characters.contains($0) }.reversed().drop { characters.contains($0) }.reversed())
    }
}
