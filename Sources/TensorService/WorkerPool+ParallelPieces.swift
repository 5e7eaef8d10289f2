import TensorCodecs

extension WorkerPool {
    /// The pool as the codecs see it, to read and write a large JSON document in pieces (`parallelFor`: this thread
    /// and idle workers, so a busy pool simply runs the pieces here in turn).
    package var parallelPieces: ParallelPieces {
        ParallelPieces(width: threadCount) { [self] count, piece in
            parallelFor((0..<count).map { $0..<($0 + 1) }) { range in piece(range.lowerBound) }
        }
    }
}
