import Foundation
import Logging
import Testing
import TensorTestSupport
@testable import TensorService

import Glibc

@Suite struct LogSinkTests {
    private func line(_ index: Int) -> [UInt8] { Array("line \(index) \(String(repeating: "x", count: 40))\n".utf8) }

    @Test("Every line appended before a flush is written, once, in order, in batches")
    func flushWritesEveryLine() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("log-sink-\(UUID().uuidString)").path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        #expect(descriptor >= 0)
        defer {
            close(descriptor)
            unlink(path)
        }
        let sink = LogSink(descriptor: descriptor, capacityBytes: 1 << 20, batchBytes: 4096)
        let count = 5000
        DispatchQueue.concurrentPerform(iterations: 4) { part in
            for index in stride(from: part, to: count, by: 4) { sink.append(line(index)) }
        }
        #expect(sink.flush(timeout: .seconds(30)))
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == count)
        #expect(Set(lines).count == count, "no line twice")
        #expect(sink.droppedLines == 0 && sink.writtenLineCount == count)
    }

    @Test("A reader that never reads: appending never blocks, lines are dropped and counted, a flush gives up")
    func stalledReaderDropsInsteadOfBlocking() throws {
        var ends: [Int32] = [-1, -1]
        #expect(pipe(&ends) == 0)
        // The pipe is full before the sink writes a byte: its first write blocks, whatever the threads' speed.
        _ = fcntl(ends[1], F_SETFL, fcntl(ends[1], F_GETFL) | O_NONBLOCK)
        let filler = [UInt8](repeating: 0x2E, count: 4096)
        while write(ends[1], filler, filler.count) > 0 {}
        _ = fcntl(ends[1], F_SETFL, fcntl(ends[1], F_GETFL) & ~O_NONBLOCK)
        let sink = LogSink(descriptor: ends[1], capacityBytes: 16 << 10, batchBytes: 4096)
        for index in 0..<4000 { sink.append(line(index)) }
        #expect(eventually { sink.droppedLines > 0 })
        #expect(!sink.flush(timeout: .milliseconds(200)), "nobody reads: the flush returns at its deadline")
        // The reader comes back: what was kept goes out, and new lines flow again.
        let readEnd = ends[0]
        let readerDone = DispatchSemaphore(value: 0)
        let reader = Thread {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while read(readEnd, &buffer, buffer.count) > 0 {}
            readerDone.signal()
        }
        reader.start()
        sink.append(line(-1))
        #expect(sink.flush(timeout: .seconds(30)))
        #expect(sink.writtenLineCount + sink.droppedLines == 4001)
        // The reader ends at the end of the stream, before its descriptor is closed: a number closed under a
        // thread still reading it could be another test's pipe a moment later.
        close(ends[1])
        readerDone.wait()
        close(ends[0])
    }

    @Test("A write that fails (a full disk) drops its lines, counted, and the sink goes on")
    func failedWritesAreCounted() {
        let descriptor = open("/dev/full", O_WRONLY | O_CLOEXEC)
        #expect(descriptor >= 0)
        defer { close(descriptor) }
        let sink = LogSink(descriptor: descriptor)
        for index in 0..<10 { sink.append(line(index)) }
        #expect(sink.flush(timeout: .seconds(30)))
        #expect(sink.droppedLines == 10 && sink.writtenLineCount == 0)
    }

    @Test("Text and JSON lines: one per event, the JSON one parseable with numbers as numbers")
    func handlerFormats() throws {
        var ends: [Int32] = [-1, -1]
        #expect(pipe(&ends) == 0)
        defer { close(ends[0]) }
        let sink = LogSink(descriptor: ends[1])
        var json = Logger(label: "tensor-service.access") { SinkLogHandler(label: $0, format: .json, sink: sink) }
        json.logLevel = .info
        json.info("request", metadata: ["status": .stringConvertible(200), "path": .string("/a \"b\"")])
        json.debug("not written at info")
        let text = Logger(label: "tensor-service") { SinkLogHandler(label: $0, format: .text, sink: sink) }
        text.warning("accept failed; pausing", metadata: ["pause_ms": .stringConvertible(100)])
        #expect(sink.flush(timeout: .seconds(30)))
        close(ends[1])
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while case let count = read(ends[0], &buffer, buffer.count), count > 0 { bytes += buffer.prefix(count) }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        try #require(lines.count == 2)
        let object = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any]
        #expect(object?["status"] as? Int == 200)
        #expect(object?["path"] as? String == "/a \"b\"")
        #expect(object?["logger"] as? String == "tensor-service.access" && object?["message"] as? String == "request")
        #expect((object?["ts"] as? String)?.hasSuffix("Z") == true)
        #expect(lines[1].contains(" warning tensor-service: accept failed; pausing pause_ms=100"))
    }
}
