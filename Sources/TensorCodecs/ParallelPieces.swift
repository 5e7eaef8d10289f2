/// How a codec may spread one large document over several threads: `run(count, piece)` calls `piece(0)` …
/// `piece(count - 1)`, possibly at once on up to `width` threads, and returns when all have run. The service builds
/// one from its worker pool; `.serial` runs them in turn on the caller's thread.
public struct ParallelPieces: Sendable {
    public typealias Runner = @Sendable (_ count: Int, _ piece: @escaping @Sendable (Int) -> Void) -> Void

    /// Threads that may run pieces at once.
    public let width: Int
    /// The smallest piece worth handing to another thread: bytes of JSON text to read, elements to write.
    let pieceBytes: Int
    let pieceElements: Int
    private let runner: Runner

    public init(width: Int, runner: @escaping Runner) {
        self.init(width: width, pieceBytes: 1 << 18, pieceElements: 1 << 15, runner: runner)
    }

    /// Smaller pieces than the service uses, so tests can split small documents.
    init(width: Int, pieceBytes: Int, pieceElements: Int, runner: @escaping Runner) {
        self.width = max(1, width)
        self.pieceBytes = pieceBytes
        self.pieceElements = pieceElements
        self.runner = runner
    }

    public static let serial = ParallelPieces(width: 1) { count, piece in
        for index in 0..<count { piece(index) }
    }

    public func run(_ count: Int, _ piece: @escaping @Sendable (Int) -> Void) {
        runner(count, piece)
    }

    /// Bytes of text per piece when a document of `bytes` is worth splitting (two pieces at least, each well over
    /// the cost of handing it to another thread: 256 KiB, about a millisecond); nil when it is not.
    func pieceBytes(forText bytes: Int) -> Int? {
        guard width > 1, bytes >= 2 * pieceBytes else { return nil }
        return max(pieceBytes, bytes / (width * 4))
    }
}

/// One result slot per piece, written only by its own piece and read after `run` returns.
final class PieceSlots<Value>: @unchecked Sendable {
    // @unchecked Sendable: each index is written by one piece only, and read only after `ParallelPieces.run` has
    // returned, which waits for every piece.
    private let slots: UnsafeMutableBufferPointer<Value?>

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    subscript(index: Int) -> Value? {
        get { slots[index] }
        set { slots[index] = newValue }
    }

    var values: [Value?] { Array(slots) }
}

/// A buffer's address, for pieces that each write their own disjoint part of it.
package struct SharedBytes: @unchecked Sendable {
    // @unchecked Sendable: pieces write disjoint ranges and the owner reads only after the pieces' runner (for the
    // codecs `ParallelPieces.run`, for the kernel `WorkerPool.parallelFor`) has returned.
    package let base: UnsafeMutableRawPointer

    package init(base: UnsafeMutableRawPointer) { self.base = base }
}
