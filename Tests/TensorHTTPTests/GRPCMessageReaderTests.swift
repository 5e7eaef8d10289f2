import TensorMemory
import Testing
@testable import TensorHTTP

@Suite struct GRPCMessageReaderTests {
    private func framed(_ payload: [UInt8], compressed: Bool = false) -> [UInt8] {
        let count = payload.count
        return [compressed ? 1 : 0, UInt8(count >> 24 & 0xFF), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)]
            + payload
    }

    private func feed(_ reader: inout GRPCMessageReader, _ bytes: [UInt8]) throws(GRPCStatus) -> [[UInt8]] {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(GRPCStatus) in try reader.feed(raw) } }
        return try result.get().map { $0.buffer.array }
    }

    @Test("Messages come out whole, whatever the DATA frames' split")
    func splitsAnywhere() throws {
        let stream = framed(Array("first".utf8)) + framed([]) + framed(Array(repeating: 7, count: 300))
        for split in 0...stream.count {
            var reader = GRPCMessageReader(maxMessageBytes: 1 << 20, encoding: nil, budget: nil)
            let messages = try feed(&reader, Array(stream[..<split])) + feed(&reader, Array(stream[split...]))
            #expect(messages == [Array("first".utf8), [], Array(repeating: 7, count: 300)], "split at \(split)")
            #expect(reader.isAtMessageBoundary)
        }
    }

    @Test("A length past the limit is RESOURCE_EXHAUSTED from its prefix alone, before anything is held")
    func claimedTwoGiB() {
        var reader = GRPCMessageReader(maxMessageBytes: 1 << 20, encoding: nil, budget: InflightBudget(limit: 1 << 30))
        #expect(throws: GRPCStatus.self) { try feed(&reader, [0, 0x7F, 0xFF, 0xFF, 0xFF]) }
        do {
            _ = try feed(&reader, [0, 0x7F, 0xFF, 0xFF, 0xFF])
        } catch {
            #expect(error.code == .resourceExhausted && error.message.contains("--max-body-bytes"))
        }
    }

    @Test("Each message holds its bytes of the in-flight budget; none left is RESOURCE_EXHAUSTED")
    func budget() throws {
        let budget = InflightBudget(limit: 100)
        var reader = GRPCMessageReader(maxMessageBytes: 1 << 20, encoding: nil, budget: budget)
        let kept = try bytesAndBudget(&reader, framed(Array(repeating: 1, count: 80)))
        #expect(budget.heldBytes == 80)
        #expect(throws: GRPCStatus.self) { try feed(&reader, framed(Array(repeating: 1, count: 30))) }
        kept.budget?.releaseAll()
        #expect(budget.heldBytes == 0)
        var fresh = GRPCMessageReader(maxMessageBytes: 1 << 20, encoding: nil, budget: budget)
        #expect(throws: GRPCStatus.self, "more than the whole budget") { try feed(&fresh, framed(Array(repeating: 1, count: 101))) }
    }

    private func bytesAndBudget(_ reader: inout GRPCMessageReader, _ bytes: [UInt8]) throws -> GRPCMessage {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(GRPCStatus) in try reader.feed(raw) } }
        return try #require(try result.get().first)
    }

    @Test("A compressed message is inflated with the call's grpc-encoding; without one it is an error")
    func compressedMessages() throws {
        let payload = Array(repeating: UInt8(ascii: "a"), count: 5000)
        let gzip = Deflater.compress([.bytes(payload)], totalCount: payload.count, coding: .gzip)
        var reader = GRPCMessageReader(maxMessageBytes: 1 << 20, encoding: .gzip, budget: nil)
        #expect(try feed(&reader, framed(gzip, compressed: true)) == [payload])
        var plain = GRPCMessageReader(maxMessageBytes: 1 << 20, encoding: nil, budget: nil)
        #expect(throws: GRPCStatus.self) { try feed(&plain, framed(gzip, compressed: true)) }
        var small = GRPCMessageReader(maxMessageBytes: 1000, encoding: .gzip, budget: nil)
        #expect(throws: GRPCStatus.self, "inflating past the limit") { try feed(&small, framed(gzip, compressed: true)) }
        var flagged = GRPCMessageReader(maxMessageBytes: 1000, encoding: nil, budget: nil)
        #expect(throws: GRPCStatus.self, "a flag other than 0 and 1") { try feed(&flagged, [2, 0, 0, 0, 0]) }
    }

    @Test("grpc-message is percent-encoded and bounded")
    func statusMessages() {
        #expect(GRPCStatus(.invalidArgument, "50% of \"x\"\n").encodedMessage == "50%25 of \"x\"%0A")
        #expect(GRPCStatus(.notFound, "né").encodedMessage == "n%C3%A9")
        #expect(GRPCStatus(.internalError, String(repeating: "x", count: 5000)).encodedMessage.utf8.count == 1024)
        #expect(GRPCStatus.ok.trailers.map(\.0) == ["grpc-status"])
    }
}
