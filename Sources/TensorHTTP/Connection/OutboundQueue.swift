import Glibc

/// Bytes waiting to be written to one connection, in order: an interim `100 Continue`, then an answer's head and
/// body segments. It knows where each answer ends, so the connection learns when an answer has fully left.
struct OutboundQueue {
    private struct Item {
        var segment: BodySegment
        var offset = 0
        /// On the last item of a final answer.
        var completesResponse = false
        /// On the last item of a streamed body's piece.
        var endsPiece = false

        var remaining: Int { segment.count - offset }
    }

    private var items: [Item] = []
    /// Streamed pieces whose last byte has been written, since `takePiecesSent` last asked.
    private var piecesSent = 0

    /// At most this many segments go into one `sendmsg`.
    static let maxVectors = 16

    var isEmpty: Bool { items.isEmpty }

    /// Queues bytes that end no answer (an interim response, HTTP/2 frames).
    mutating func enqueueInterim(_ bytes: [UInt8]) {
        items.append(Item(segment: .bytes(bytes)))
    }

    /// Queues segments that end no answer (an HTTP/2 DATA frame's header and payload, a piece of a streamed body).
    mutating func enqueue(_ segments: [BodySegment], endsPiece: Bool = false) {
        let before = items.count
        for segment in segments where segment.count > 0 { items.append(Item(segment: segment)) }
        if endsPiece && items.count > before { items[items.count - 1].endsPiece = true }
    }

    /// Queues the last piece of a streamed answer, which ends it.
    mutating func enqueueLastPiece(_ bytes: [UInt8]) {
        items.append(Item(segment: .bytes(bytes), completesResponse: true, endsPiece: true))
    }

    /// How many streamed pieces have fully left since the last call.
    mutating func takePiecesSent() -> Int {
        defer { piecesSent = 0 }
        return piecesSent
    }

    /// Queues a final answer; `body` is empty for an answer to HEAD.
    mutating func enqueueResponse(head: [UInt8], body: [BodySegment]) {
        items.append(Item(segment: .bytes(head)))
        for segment in body where segment.count > 0 { items.append(Item(segment: segment)) }
        items[items.count - 1].completesResponse = true
    }

    /// Marks `count` bytes as written. Returns whether a final answer's last byte was among them.
    mutating func consume(_ count: Int) -> Bool {
        var written = count
        var finished = false
        var removed = 0
        while removed < items.count {
            let step = min(items[removed].remaining, written)
            items[removed].offset += step
            written -= step
            guard items[removed].remaining == 0 else { break }
            if items[removed].completesResponse { finished = true }
            if items[removed].endsPiece { piecesSent += 1 }
            removed += 1
        }
        items.removeFirst(removed)
        return finished
    }

    mutating func removeAll() {
        items.removeAll()
        piecesSent = 0
    }

    /// Calls `body` with the unsent bytes of up to `maxVectors` items as iovecs. The pointers live only inside
    /// `body`: each `[UInt8]` is pinned by its own nested `withUnsafeBytes`.
    func withIOVectors<Result>(_ body: (UnsafeMutableBufferPointer<iovec>) -> Result) -> Result {
        let count = min(items.count, Self.maxVectors)
        return withUnsafeTemporaryAllocation(of: iovec.self, capacity: count) { vectors in
            fill(vectors, from: 0, count: count, body)
        }
    }

    private func fill<Result>(
        _ vectors: UnsafeMutableBufferPointer<iovec>, from index: Int, count: Int,
        _ body: (UnsafeMutableBufferPointer<iovec>) -> Result
    ) -> Result {
        guard index < count else { return body(vectors) }
        let item = items[index]
        switch item.segment {
        case .bytes(let bytes):
            return bytes.withUnsafeBytes { raw in
                vectors[index] = iovec(
                    iov_base: UnsafeMutableRawPointer(mutating: raw.baseAddress! + item.offset), iov_len: item.remaining)
                return fill(vectors, from: index + 1, count: count, body)
            }
        case .buffer(let buffer, let range):
            vectors[index] = iovec(iov_base: buffer.base + range.lowerBound + item.offset, iov_len: item.remaining)
            return fill(vectors, from: index + 1, count: count, body)
        }
    }

    /// Calls `body` with the unsent bytes of the first item (for TLS, which has no gather write).
    func withFirstUnsent<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        let item = items[0]
        switch item.segment {
        case .bytes(let bytes):
            return bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[item.offset...])) }
        case .buffer(let buffer, let range):
            return body(UnsafeRawBufferPointer(start: buffer.base + range.lowerBound + item.offset, count: item.remaining))
        }
    }
}
