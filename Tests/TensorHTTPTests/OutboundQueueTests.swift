import Glibc
import Testing
@testable import TensorHTTP

@Suite struct OutboundQueueTests {
    private func unsent(_ queue: OutboundQueue) -> [UInt8] {
        queue.withIOVectors { vectors in
            vectors.flatMap { Array(UnsafeRawBufferPointer(start: $0.iov_base, count: $0.iov_len)) }
        }
    }

    @Test("An answer is finished only when its last byte is consumed, at any split of the writes")
    func finishesAtTheLastByte() {
        let body = ByteBuffer(capacity: 8)
        body.append(Array("0123456789".utf8))
        let whole = Array("HEAD".utf8) + Array("234567".utf8) + Array("tail".utf8)
        for split in 0...whole.count {
            var queue = OutboundQueue()
            queue.enqueueResponse(head: Array("HEAD".utf8), body: [.buffer(body, 2..<8), .bytes(Array("tail".utf8))])
            #expect(unsent(queue) == whole)
            let first = queue.consume(split)
            #expect(first == (split == whole.count))
            #expect(unsent(queue) == Array(whole[split...]))
            if split < whole.count { #expect(queue.consume(whole.count - split) == true) }
            #expect(queue.isEmpty)
        }
    }

    @Test("An interim 100 Continue ends no answer; each pipelined answer is reported when its own last byte leaves")
    func interimAndPipelinedAnswers() {
        var queue = OutboundQueue()
        queue.enqueueInterim(Array("100\r\n".utf8))
        queue.enqueueResponse(head: Array("A".utf8), body: [])
        queue.enqueueResponse(head: Array("BB".utf8), body: [.bytes([])])
        #expect(queue.consume(5) == false, "the interim head alone finishes nothing")
        #expect(queue.consume(1) == true)
        #expect(queue.consume(1) == false, "half of the second answer")
        #expect(queue.consume(1) == true)
        #expect(queue.isEmpty)
    }

    @Test("At most maxVectors segments go into one gather write; the rest wait for the next")
    func boundsTheVectors() {
        var queue = OutboundQueue()
        let segments = (0..<40).map { BodySegment.bytes([UInt8($0)]) }
        queue.enqueueResponse(head: [0xFF], body: segments)
        #expect(queue.withIOVectors { $0.count } == OutboundQueue.maxVectors)
        #expect(queue.consume(OutboundQueue.maxVectors) == false)
        #expect(unsent(queue).count == min(41 - OutboundQueue.maxVectors, OutboundQueue.maxVectors))
        queue.removeAll()
        #expect(queue.isEmpty)
    }

    @Test("Streamed pieces are counted as they fully leave; an empty piece marks nothing; the last one ends the answer")
    func streamedPieces() {
        var queue = OutboundQueue()
        queue.enqueueInterim(Array("HEAD".utf8))
        queue.enqueue([.bytes(Array("one".utf8))], endsPiece: true)
        queue.enqueue([.bytes([])], endsPiece: true)
        queue.enqueue([.bytes(Array("two".utf8))], endsPiece: true)
        queue.enqueueLastPiece(Array("end".utf8))
        #expect(queue.consume(6) == false && queue.takePiecesSent() == 0, "HEAD and two bytes of the first piece")
        #expect(queue.consume(2) == false && queue.takePiecesSent() == 1, "the first piece and a byte of the second")
        #expect(queue.takePiecesSent() == 0, "taken once")
        #expect(queue.consume(5) == true && queue.takePiecesSent() == 2, "the rest: the second and the last piece")
        #expect(queue.isEmpty)
    }
}
