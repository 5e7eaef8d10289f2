import TensorKernels

/// A tensor's JSON answer written in pieces of at most `elementsPerPiece` elements, in order, so that a large answer
/// is sent while it is written and never held whole. Joined, the pieces are byte for byte what
/// `JSONTensorWriter.write` writes for the same tensor, layout and header.
///
/// An element's brackets follow from its index alone: the rows (innermost arrays) are numbered in order, and row `r`
/// opens the array of level `L` when `r` is a multiple of the rows that array holds, and closes it when `r + 1` is.
/// So a piece can begin anywhere, even inside a row.
public struct JSONTensorPieces: Sendable {
    public let dtype: DType
    /// Elements in all.
    public let count: Int
    public let elementsPerPiece: Int
    /// The most bytes one piece takes: what is reserved for it.
    public let maxPieceBytes: Int
    private let header: [UInt8]
    private let footer: [UInt8]
    private let rowLength: Int
    /// For each level of nesting, outermost first: how many rows one array of that level holds (1 for a row).
    private let rowsPerArray: [Int]
    /// The next element to write.
    private var next = 0
    public private(set) var isFinished = false

    /// Nil when the answer has no element or is a bare number (a scalar in the nested layout): such an answer is
    /// small, and written whole. `header` nil is `{"dtype", "shape", "data":`; `footer` closes what it opened.
    public init?(
        dtype: DType, shape: [Int], layout: TensorLayout, header: String? = nil, footer: String = "}", elementsPerPiece: Int
    ) {
        let count = shape.reduce(1, *)
        let dimensions = layout == .flat ? [count] : shape
        guard count > 0, !dimensions.isEmpty, elementsPerPiece > 0 else { return nil }
        self.dtype = dtype
        self.count = count
        self.elementsPerPiece = elementsPerPiece
        self.header = Array((header ?? JSONTensorWriter.defaultHeader(dtype: dtype, shape: shape)).utf8)
        self.footer = Array(footer.utf8)
        rowLength = dimensions[dimensions.count - 1]
        var rowsPerArray = [Int](repeating: 1, count: dimensions.count)
        for level in stride(from: dimensions.count - 2, through: 0, by: -1) {
            rowsPerArray[level] = rowsPerArray[level + 1] * dimensions[level]
        }
        self.rowsPerArray = rowsPerArray
        // Each row a piece touches takes its brackets and a comma; each element its text and a comma.
        let rowsTouched = min(elementsPerPiece, count) / rowLength + 2
        maxPieceBytes = self.header.count + self.footer.count + rowsTouched * (2 * dimensions.count + 1)
            + min(elementsPerPiece, count) * (ShortestDecimal.room(for: dtype) + 1)
    }

    /// The next piece, from the tensor's little-endian, C-order bytes `data` (the same on every call).
    public mutating func nextPiece(data: UnsafeRawBufferPointer) -> [UInt8] {
        precondition(!isFinished, "every piece has been written")
        precondition(data.count == count * dtype.itemSize, "the data is the tensor's")
        let end = min(next + elementsPerPiece, count)
        let piece = [UInt8](unsafeUninitializedCapacity: maxPieceBytes) { buffer, initialized in
            var cursor = buffer.baseAddress!
            func put(_ byte: UInt8) {
                cursor.pointee = byte
                cursor += 1
            }
            if next == 0 { for byte in header { put(byte) } }
            var writer = JSONTensorWriter.ElementWriter(dtype: dtype, data: data)
            writer.next = next
            while writer.next < end {
                let row = writer.next / rowLength
                if writer.next % rowLength == 0 {
                    if row > 0 { put(UInt8(ascii: ",")) }
                    for rows in rowsPerArray where row % rows == 0 { put(UInt8(ascii: "[")) }
                } else {
                    put(UInt8(ascii: ","))  // the row began in the previous piece
                }
                writer.writeElements(min(rowLength - writer.next % rowLength, end - writer.next), to: &cursor)
                if writer.next % rowLength == 0 {
                    for rows in rowsPerArray.reversed() where (row + 1) % rows == 0 { put(UInt8(ascii: "]")) }
                }
            }
            if end == count { for byte in footer { put(byte) } }
            initialized = cursor - buffer.baseAddress!
        }
        next = end
        isFinished = end == count
        return piece
    }
}
