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

    /// Parses `X-Tensor-Shape`: comma-separated sizes (`2,3`), spaces and tabs allowed around each; the empty
    /// value is a 0-d scalar. Scans the bytes once: this runs for every raw request.
    public static func parseHeader(_ value: String) throws(CodecError) -> [Int] {
        var shape: [Int] = []
        var bytes = value.utf8[...]
        bytes = bytes.drop { $0 == 0x20 || $0 == 0x09 }
        if bytes.isEmpty { return [] }
        while true {
            let end = bytes.firstIndex(of: UInt8(ascii: ",")) ?? bytes.endIndex
            let field = trimmed(bytes[..<end])
            guard shape.count < maxRank else {
                let rank = value.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).count
                throw .malformed("X-Tensor-Shape has \(rank) dimensions; at most \(maxRank) are allowed")
            }
            guard let size = decimal(field) else {
                throw .malformed(
                    "X-Tensor-Shape dimension \(shape.count) is \"\(String(decoding: field.prefix(32), as: UTF8.self))\"; expected a non-negative integer")
            }
            shape.append(size)
            guard end < bytes.endIndex else { return shape }
            bytes = bytes[bytes.index(after: end)...]
        }
    }

    private static func trimmed(_ bytes: Substring.UTF8View.SubSequence) -> Substring.UTF8View.SubSequence {
        var bytes = bytes
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes.removeFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes.removeLast() }
        return bytes
    }

    /// Digits only, with a value that fits in an Int; nil otherwise.
    private static func decimal(_ digits: Substring.UTF8View.SubSequence) -> Int? {
        guard !digits.isEmpty else { return nil }
        var value = 0
        for digit in digits {
            guard digit >= 0x30 && digit <= 0x39 else { return nil }
            let (tens, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, carry) = tens.addingReportingOverflow(Int(digit - 0x30))
            guard !overflow && !carry else { return nil }
            value = sum
        }
        return value
    }

    /// The canonical header form: `2,3`, and the empty string for a 0-d tensor.
    public static func headerValue(_ shape: [Int]) -> String {
        // Appended in place: a short shape's text stays in the string's inline storage, with no array made first.
        var text = ""
        for (index, extent) in shape.enumerated() {
            if index > 0 { text += "," }
            text += String(extent)
        }
        return text
    }
}
