import TensorHTTP


/// The access log's line for an HTTP exchange, formatted straight into bytes on the thread that finished it (an
/// event loop) and queued on the `LogSink`: no `Logger.Metadata` dictionary, no `String` per value, no heap
/// allocation. The bytes are those `SinkLogHandler` writes for the same event (fields in key order, the same
/// quoting), so the service's two kinds of lines read alike; everything that is not per request still goes through
/// swift-log.
package struct AccessLogWriter: Sendable {
    package let sink: LogSink
    package let format: SinkLogHandler.Format
    static let label = "tensor-service.access"
    /// Room for the longest line: fixed fields, and the client's text (target and user agent, each cut to
    /// `RequestObserver.maxLoggedTextBytes`) at six bytes a byte when every one is escaped.
    static let maxLineBytes = 8 * 1024

    package init(sink: LogSink, format: SinkLogHandler.Format) {
        self.sink = sink
        self.format = format
    }

    /// Room a usual line fits in, small enough for the stack (larger temporary allocations come from the heap).
    static let usualLineBytes = 1024

    func log(_ exchange: ExchangeRecord, timing: ExchangeTiming) {
        let written = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.usualLineBytes) { storage in
            write(exchange, timing: timing, into: storage)
        }
        if !written {
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.maxLineBytes) { storage in
                _ = write(exchange, timing: timing, into: storage)
            }
        }
    }

    /// Formats the line into `storage` and queues it; false, queuing nothing, when it did not fit.
    private func write(
        _ exchange: ExchangeRecord, timing: ExchangeTiming, into storage: UnsafeMutableBufferPointer<UInt8>
    ) -> Bool {
        var line = LineBuffer(storage)
        let isJSON = format == .json
        if isJSON {
            line.append(#"{"ts":""#)
            line.appendTimestamp()
            line.append(#"","level":"info","logger":""#)
            line.append(Self.label)
            line.append(#"","message":"request""#)
        } else {
            line.appendTimestamp()
            line.append(" info ")
            line.append(Self.label)
            line.append(": request")
        }
        // Fields in key order, as the handler sorts them.
        line.field(" bytes_in=", #","bytes_in":"#, isJSON) { $0.appendDecimal(exchange.bytesIn) }
        line.field(" bytes_out=", #","bytes_out":"#, isJSON) { $0.appendDecimal(exchange.bytesOut) }
        line.field(" client=", #","client":"#, isJSON) { $0.appendValue(exchange.clientAddress, quoted: isJSON) }
        line.field(" complete=", #","complete":"#, isJSON) { $0.append(timing.isComplete ? "true" : "false") }
        line.field(" duration_ms=", #","duration_ms":"#, isJSON) { $0.appendMilliseconds(microseconds: Int((timing.seconds * 1e6).rounded())) }
        line.field(" method=", #","method":"#, isJSON) { $0.appendValue(exchange.method, quoted: isJSON) }
        line.field(" path=", #","path":"#, isJSON) { $0.appendValue(exchange.target, quoted: isJSON) }
        line.field(" request_id=", #","request_id":"#, isJSON) { line in
            switch exchange.requestID {
            case .given(let text): line.appendValue(text, quoted: isJSON)
            // Hex digits: nothing to escape.
            case .made: exchange.requestID.withUTF8 { line.appendQuoted($0, quoted: isJSON) }
            }
        }
        line.field(" route=", #","route":"#, isJSON) { $0.appendValue(exchange.route, quoted: isJSON) }
        line.field(" status=", #","status":"#, isJSON) { $0.appendDecimal(exchange.status) }
        line.field(" user_agent=", #","user_agent":"#, isJSON) { $0.appendValue(exchange.userAgent, quoted: isJSON) }
        if isJSON { line.append("}") }
        line.append("\n")
        guard !line.isFull else { return false }
        sink.append(line.written)
        return true
    }
}

/// Bytes appended into fixed storage; what does not fit is cut (the line's fields are bounded, so it never is).
private struct LineBuffer {
    let storage: UnsafeMutableBufferPointer<UInt8>
    var count = 0

    init(_ storage: UnsafeMutableBufferPointer<UInt8>) { self.storage = storage }

    /// Bytes were cut: the line needs more room.
    var isFull: Bool { count == storage.count }

    var written: UnsafeRawBufferPointer { UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: storage[0..<count])) }

    mutating func append(_ byte: UInt8) {
        guard count < storage.count else { return }
        storage[count] = byte
        count += 1
    }

    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { append($0) }
    }

    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { append($0) }
    }

    /// One copy for the whole run of bytes (cut to the room left). Most runs are a few bytes (a key, a number), for
    /// which a loop is cheaper than a call to memmove.
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        let taken = min(bytes.count, storage.count - count)
        guard taken > 0, let source = bytes.baseAddress else { return }
        let target = storage.baseAddress! + count
        if taken <= 16 {
            for offset in 0..<taken { target[offset] = source[offset] }
        } else {
            target.update(from: source, count: taken)
        }
        count += taken
    }

    /// A field: its key as `text` (` key=`) or as `json` (`,"key":`), each one run of bytes, then the value.
    mutating func field(_ text: StaticString, _ json: StaticString, _ isJSON: Bool, _ value: (inout LineBuffer) -> Void) {
        append(isJSON ? json : text)
        value(&self)
    }

    /// Bytes that need no escaping, quoted in JSON.
    mutating func appendQuoted(_ bytes: UnsafeBufferPointer<UInt8>, quoted: Bool) {
        if quoted { append(UInt8(ascii: "\"")) }
        append(bytes)
        if quoted { append(UInt8(ascii: "\"")) }
    }

    /// A string: as it is in text, quoted and escaped as `JSONText.quoted` does in JSON.
    mutating func appendValue(_ text: String, quoted: Bool) {
        guard quoted else { return append(text) }
        append(UInt8(ascii: "\""))
        var text = text
        // Nearly always nothing to escape: then one copy.
        if text.withUTF8({ $0.allSatisfy { $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") } }) {
            text.withUTF8 { append($0) }
            return append(UInt8(ascii: "\""))
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): append(#"\""#)
            case UInt8(ascii: "\\"): append(#"\\"#)
            case 0x0A: append(#"\n"#)
            case 0x0D: append(#"\r"#)
            case 0x09: append(#"\t"#)
            case 0..<0x20:
                append(#"\u00"#)
                append(Self.hexDigit(byte >> 4))
                append(Self.hexDigit(byte & 0xF))
            default: append(byte)
            }
        }
        append(UInt8(ascii: "\""))
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 { value < 10 ? 0x30 + value : 0x61 + value - 10 }

    mutating func appendDecimal(_ value: Int) {
        if value < 0 { append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        // Written from the last digit into a small buffer on the stack, then copied once.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = digits.count
            repeat {
                start -= 1
                digits[start] = UInt8(truncatingIfNeeded: 0x30 + magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            append(UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    /// Milliseconds with up to three decimals, as Swift describes the `Double` of `microseconds / 1000`: `147.874`,
    /// `0.05`, `12.0`.
    mutating func appendMilliseconds(microseconds: Int) {
        appendDecimal(microseconds / 1000)
        append(UInt8(ascii: "."))
        var fraction = microseconds % 1000
        guard fraction != 0 else { return append(UInt8(ascii: "0")) }
        var digits = 3
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        var divisor = 1
        for _ in 1..<digits { divisor *= 10 }
        while divisor > 0 {
            append(UInt8(truncatingIfNeeded: 0x30 + fraction / divisor % 10))
            divisor /= 10
        }
    }

    /// `2026-12-07T15:30:00.123Z`, as `LogTimestamp.now()`.
    mutating func appendTimestamp() {
        let now = Syscall.wallClock()
        LogTimestamp.prefix(second: now.tv_sec).withUnsafeBufferPointer { append($0) }
        append(UInt8(ascii: "."))
        let milliseconds = now.tv_nsec / 1_000_000
        append(UInt8(truncatingIfNeeded: 0x30 + milliseconds / 100))
        append(UInt8(truncatingIfNeeded: 0x30 + milliseconds / 10 % 10))
        append(UInt8(truncatingIfNeeded: 0x30 + milliseconds % 10))
        append(UInt8(ascii: "Z"))
    }
}
