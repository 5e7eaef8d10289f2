import Foundation
import Logging
import Testing
@testable import TensorHTTP
@testable import TensorService

import Glibc

/// The access line formatted straight into bytes is the line swift-log's handler writes for the same exchange, in
/// text and in JSON, whatever the client's text holds (quotes, backslashes, control bytes, non-ASCII).
@Suite struct AccessLogWriterTests {
    /// Lines written through `sink`'s descriptor by `body`, read back once flushed.
    private func lines(_ body: (LogSink) -> Void) throws -> [String] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("access-\(UUID().uuidString)").path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        #expect(descriptor >= 0)
        defer {
            close(descriptor)
            unlink(path)
        }
        let sink = LogSink(descriptor: descriptor)
        body(sink)
        #expect(sink.flush(timeout: .seconds(30)))
        return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    /// The line without its timestamp, which differs by when each was written.
    private func untimed(_ line: String, _ format: SinkLogHandler.Format) -> String {
        switch format {
        case .text: String(line.drop { $0 != " " })
        case .json: line.replacing(/"ts":"[^"]*"/, with: "")
        }
    }

    @Test("Byte for byte the handler's line", arguments: [SinkLogHandler.Format.text, .json])
    func sameAsTheHandler(format: SinkLogHandler.Format) throws {
        let exchanges = [
            ExchangeRecord(
                method: "POST", route: "/ops/leaky_relu", requestID: "56f8ae387282aca80000000000000001", bytesIn: 12_600_046,
                clientAddress: "127.0.0.1", userAgent: "curl/7.88.1", target: "/ops/leaky_relu?negative_slope=0.2", isHead: false),
            ExchangeRecord(
                method: "-", route: "unmatched", requestID: "id \"quoted\" \\ back", bytesIn: 0, clientAddress: "::1",
                userAgent: "tab\there\u{01}\r\nnext line ünïcødé 🙂", target: "/a\"b\\c", isHead: true),
            // Past the usual line's room: every byte escaped.
            ExchangeRecord(
                method: "GET", route: "/healthz", requestID: "r", bytesIn: 1, clientAddress: "10.0.0.1",
                userAgent: String(repeating: "\u{02}", count: 256), target: String(repeating: "\"", count: 256), isHead: false),
        ]
        let timings = [
            ExchangeTiming(firstByte: 1_000, finished: 147_875_000, isComplete: true),
            ExchangeTiming(firstByte: 0, finished: 50_000, isComplete: false),
            ExchangeTiming(firstByte: 5, finished: 12_000_005, isComplete: true),
            ExchangeTiming(firstByte: 0, finished: 0, isComplete: true),
        ]
        let metrics = ServiceMetrics()
        func send(_ observer: RequestObserver) {
            for (index, exchange) in exchanges.enumerated() {
                for (step, timing) in timings.enumerated() {
                    let response = observer.finish(exchange, HTTPResponse(status: [200, 404, 503][(index + step) % 3], body: [.bytes([1, 2, 3])]))
                    observer.exchangeFinished(response.record!, timing: timing)
                }
            }
        }
        let viaHandler = try lines { sink in
            let logger = Logger(label: AccessLogWriter.label) { SinkLogHandler(label: $0, format: format, sink: sink) }
            send(RequestObserver(metrics: metrics, accessLogger: logger))
        }
        let direct = try lines { sink in
            send(RequestObserver(metrics: metrics, accessLogger: Logger(label: "unused"), accessLog: AccessLogWriter(sink: sink, format: format)))
        }
        #expect(direct.count == exchanges.count * timings.count)
        #expect(direct.map { untimed($0, format) } == viaHandler.map { untimed($0, format) })
        // The timestamps have the handler's shape too.
        let stamp = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/
        for line in direct {
            let ts = format == .text ? String(line.prefix { $0 != " " }) : String(line.firstMatch(of: /"ts":"([^"]*)"/)!.1)
            #expect(ts.wholeMatch(of: stamp) != nil, "\(ts)")
        }
    }
}
