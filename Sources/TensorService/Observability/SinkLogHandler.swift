import Logging
import TensorCodecs
import TensorHTTP

import Glibc
import TensorMemory

/// swift-log's handler for the service: each event becomes one line, text or JSON, queued on a `LogSink`, so that
/// logging never blocks the thread that logs (an event loop, a worker) however slowly the output is read.
///
/// Text: `2026-12-07T15:30:00.123Z info tensor-service.access: request method=POST route=/ops/leaky_relu status=200`.
/// JSON, for log shippers, one object per line:
/// `{"ts":"…","level":"info","logger":"tensor-service.access","message":"request","status":200,…}`.
package struct SinkLogHandler: LogHandler {
    package enum Format: String, Sendable {
        case text, json
    }

    package var logLevel: Logger.Level = .info
    package var metadata: Logger.Metadata = [:]
    private let label: String
    private let format: Format
    private let sink: LogSink

    package init(label: String, format: Format, sink: LogSink) {
        self.label = label
        self.format = format
        self.sink = sink
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        let merged = metadata.isEmpty ? event.metadata ?? [:] : metadata.merging(event.metadata ?? [:]) { $1 }
        let line: String
        switch format {
        case .json:
            var text = #"{"ts":"\#(LogTimestamp.now())","level":"\#(event.level.rawValue)","logger":\#(JSONText.quoted(label)),"#
                + #""message":\#(JSONText.quoted(event.message.description))"#
            for (key, value) in merged.sorted(by: { $0.key < $1.key }) { text += ",\(JSONText.quoted(key)):\(Self.json(value))" }
            line = text + "}\n"
        case .text:
            var text = "\(LogTimestamp.now()) \(event.level.rawValue) \(label): \(event.message)"
            for (key, value) in merged.sorted(by: { $0.key < $1.key }) { text += " \(key)=\(value)" }
            line = text + "\n"
        }
        var bytes = line
        bytes.withUTF8 { sink.append(UnsafeRawBufferPointer($0)) }
    }

    /// Numbers and booleans given as `.stringConvertible` stay numbers and booleans; everything else is a string,
    /// an array or an object.
    static func json(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let text):
            return JSONText.quoted(text)
        case .stringConvertible(let convertible):
            switch convertible {
            case let flag as Bool: return flag ? "true" : "false"
            case let number as Int: return String(number)
            case let number as Int64: return String(number)
            case let number as UInt64: return String(number)
            case let number as Double where number.isFinite: return "\(number)"
            default: return JSONText.quoted(convertible.description)
            }
        case .array(let items):
            return "[" + items.map(json).joined(separator: ",") + "]"
        case .dictionary(let entries):
            return "{" + entries.sorted { $0.key < $1.key }.map { "\(JSONText.quoted($0.key)):\(json($0.value))" }
                .joined(separator: ",") + "}"
        }
    }
}

/// RFC 3339 UTC timestamps with milliseconds; the date and time of day are formatted once a second.
enum LogTimestamp {
    /// The last second formatted, as text and as bytes (for `AccessLogWriter`).
    private static let cache = Locked<(second: Int, prefix: String, bytes: [UInt8])>((-1, "", []))

    static func now() -> String {
        let now = Syscall.wallClock()
        let prefix = cache.withLock { cached in
            if cached.second != now.tv_sec { cached = Self.formatted(now.tv_sec) }
            return cached.prefix
        }
        let milliseconds = now.tv_nsec / 1_000_000
        let digits = milliseconds < 10 ? "00\(milliseconds)" : milliseconds < 100 ? "0\(milliseconds)" : "\(milliseconds)"
        return "\(prefix).\(digits)Z"
    }

    /// `2026-12-07T15:30:00` for `second`, as bytes (their array is shared, not copied).
    static func prefix(second: Int) -> [UInt8] {
        cache.withLock { cached in
            if cached.second != second { cached = Self.formatted(second) }
            return cached.bytes
        }
    }

    private static func formatted(_ second: Int) -> (second: Int, prefix: String, bytes: [UInt8]) {
        let text = format(second)
        return (second, text, Array(text.utf8))
    }

    /// `2026-12-07T15:30:00`.
    static func format(_ seconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
    }
}
