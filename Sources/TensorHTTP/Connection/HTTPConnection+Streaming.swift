/// Answers whose body is made while it is written (`StreamedBody`): pieces are asked for one at a time, and at
/// most two wait unsent, so such an answer holds a few pieces of memory whatever its length.
extension HTTPConnection {
    func beginStreaming(_ body: any StreamedBody) {
        streaming = StreamingAnswer(body: body, bytesLeft: body.byteCount)
        requestPiece()
    }

    func requestPiece() {
        guard let current = streaming, !current.isProducing, current.piecesQueued < 2, current.bytesLeft > 0 else { return }
        streaming?.isProducing = true
        current.body.produceNext { [self] piece in
            loop.execute {
                self.pieceArrived(piece)
                self.pump()
            }
        }
    }

    private func pieceArrived(_ piece: StreamedPiece) {
        guard !machine.isClosed, let current = streaming else { return }
        streaming?.isProducing = false
        switch piece {
        case .bytes(let bytes) where bytes.count <= current.bytesLeft:
            environment.statistics.recordSent(bytes.count)
            if bytes.count == current.bytesLeft {
                streaming = nil
                outbound.enqueueLastPiece(bytes)
            } else {
                // A piece may be empty (a compressor holding its input back): nothing to queue, ask for the next.
                if !bytes.isEmpty {
                    outbound.enqueue([.bytes(bytes)], endsPiece: true)
                    streaming?.bytesLeft -= bytes.count
                    streaming?.piecesQueued += 1
                }
                requestPiece()
            }
        case .bytes:
            environment.logger.warning("a streamed answer overran its Content-Length")
            close()
        case .failed(let why):
            // The head is sent: a body cut short of its Content-Length is how the client learns the answer failed.
            environment.logger.warning("a streamed answer failed", metadata: ["error": "\(why)"])
            close()
        }
    }
}

/// A streamed body being written: its source and its pieces in flight.
struct StreamingAnswer {
    let body: any StreamedBody
    /// A piece is being made.
    var isProducing = false
    /// Pieces queued and not yet fully written.
    var piecesQueued = 0
    /// Bytes of the body still to come.
    var bytesLeft: Int
}
