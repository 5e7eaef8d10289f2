import TensorKernels

/// A tensor as the codecs read and write it: dtype, shape, and its elements where they lie.
///
/// Binary formats are not copied to be decoded: their elements stay in the request body (`Storage.region`) and are
/// computed there. JSON decodes into an array of its own. Byte order and memory order are kept as they arrived;
/// an answer that needs little-endian C order converts once (`TensorBuffer+ByteOrder.swift`).
public struct TensorBuffer {
    public enum Storage {
        /// Elements in an array of their own.
        case array([UInt8])
        /// Elements inside memory owned by someone else (a request body).
        case region(TensorRegion)
    }

    public var dtype: DType
    public var shape: [Int]
    /// How a JSON request nested its data, so that the JSON answer mirrors it.
    public var layout: TensorLayout
    public var isBigEndian: Bool
    public var isFortranOrder: Bool
    public var storage: Storage

    public init(
        dtype: DType, shape: [Int], layout: TensorLayout = .nested, isBigEndian: Bool = false,
        isFortranOrder: Bool = false, storage: Storage
    ) {
        self.dtype = dtype
        self.shape = shape
        self.layout = layout
        self.isBigEndian = isBigEndian
        self.isFortranOrder = isFortranOrder
        self.storage = storage
    }

    public var byteCount: Int {
        switch storage {
        case .array(let array): array.count
        case .region(let region): region.range.count
        }
    }

    public var count: Int { byteCount / dtype.itemSize }

    /// The elements as they lie now.
    public func withBytes<Value, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Value
    ) throws(Failure) -> Value {
        switch storage {
        case .array(let array):
            // `Array.withUnsafeBytes` rethrows untyped errors: carry the typed one out in a Result.
            return try array.withUnsafeBytes { bytes in Result { () throws(Failure) in try body(bytes) } }.get()
        case .region(let region):
            return try body(UnsafeRawBufferPointer(region.bytes))
        }
    }

    /// The elements, writable where they lie: a region in place, an array without a copy (it is owned here alone
    /// while `body` runs).
    public mutating func withMutableBytes<Result>(_ body: (UnsafeMutableRawBufferPointer) -> Result) -> Result {
        switch storage {
        case .region(let region):
            return body(region.bytes)
        case .array(var array):
            // Drop the enum's reference first: the array is then uniquely owned and written in place, not copied.
            storage = .array([])
            defer { storage = .array(array) }
            return array.withUnsafeMutableBytes(body)
        }
    }
}

/// Bytes of a tensor inside memory that `owner` keeps alive, such as a request body's buffer.
public struct TensorRegion {
    /// Holds the memory; the service gets its body buffer back from here to answer without a copy.
    public let owner: AnyObject
    /// The start of the owner's memory; the tensor is at `range` from it.
    public let base: UnsafeMutableRawPointer
    public let range: Range<Int>

    public init(owner: AnyObject, base: UnsafeMutableRawPointer, range: Range<Int>) {
        self.owner = owner
        self.base = base
        self.range = range
    }

    public var bytes: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: base + range.lowerBound, count: range.count)
    }

    /// The bytes at `offsets` within this region.
    public func subregion(_ offsets: Range<Int>) -> TensorRegion {
        precondition(offsets.upperBound <= range.count, "a subregion lies inside its region")
        return TensorRegion(owner: owner, base: base, range: range.lowerBound + offsets.lowerBound..<range.lowerBound + offsets.upperBound)
    }
}
