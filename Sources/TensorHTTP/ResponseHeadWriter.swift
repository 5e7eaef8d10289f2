import Foundation
import TensorMemory

/// Writes a status line and header section, adding the fields every answer carries.
package enum ResponseHeadWriter {
    /// Serializes the head of `response` with Content-Length, Date, Server and, when needed, Connection.
    package static func head(for response: HTTPResponse, keepAlive: Bool, clientMinorVersion: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        write(response, keepAlive: keepAlive, clientMinorVersion: clientMinorVersion, into: &bytes)
        return bytes
    }

    /// Serializes the head into `bytes`, replacing what it held. A connection passes the array of its previous
    /// answer: once that has been written (nothing else holds it), its storage is reused. What never changes (the
    /// status lines, field names, `Server`, this second's `Date` field) is bytes made once and copied in whole: this
    /// runs for every answer, and appending a `String`'s UTF-8 view goes a byte at a time.
    package static func write(_ response: HTTPResponse, keepAlive: Bool, clientMinorVersion: Int, into bytes: inout [UInt8]) {
        bytes.removeAll(keepingCapacity: true)
        bytes.reserveCapacity(256)
        if response.status >= 100 && response.status < statusLines.count {
            bytes.append(contentsOf: statusLines[response.status])
        } else {
            bytes.append(contentsOf: statusLine(response.status))
        }
        for (name, value) in response.headers {
            appendText(name, to: &bytes)
            bytes.append(contentsOf: separator)
            appendText(value, to: &bytes)
            bytes.append(contentsOf: crlf)
        }
        if let requestID = response.requestID {
            bytes.append(contentsOf: requestIDName)
            requestID.withUTF8 { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: crlf)
        }
        bytes.append(contentsOf: contentLengthName)
        appendDecimal(response.bodyCount, to: &bytes)
        bytes.append(contentsOf: crlf)
        bytes.append(contentsOf: HTTPDate.field())
        bytes.append(contentsOf: serverField)
        if !keepAlive {
            bytes.append(contentsOf: closeField)
        } else if clientMinorVersion == 0 {
            bytes.append(contentsOf: keepAliveField)
        }
        bytes.append(contentsOf: crlf)
    }

    private static let crlf: [UInt8] = [0x0D, 0x0A]
    private static let separator = Array(": ".utf8)
    private static let requestIDName = Array("X-Request-Id: ".utf8)
    private static let contentLengthName = Array("Content-Length: ".utf8)
    private static let serverField = Array("Server: tensor-service\r\n".utf8)
    private static let closeField = Array("Connection: close\r\n".utf8)
    private static let keepAliveField = Array("Connection: keep-alive\r\n".utf8)
    /// `HTTP/1.1 <status> <reason>\r\n` for every status below 600, made once.
    private static let statusLines: [[UInt8]] = (0..<600).map(statusLine)

    private static func statusLine(_ status: Int) -> [UInt8] {
        var line = Array("HTTP/1.1 ".utf8)
        appendDecimal(status, to: &line)
        line.append(0x20)
        line.append(contentsOf: HTTPStatus.reason(status).utf8)
        line.append(contentsOf: crlf)
        return line
    }

    /// A string's bytes in one copy.
    private static func appendText(_ text: String, to bytes: inout [UInt8]) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    private static func appendDecimal(_ value: Int, to bytes: inout [UInt8]) {
        precondition(value >= 0, "status codes and lengths are not negative")
        // Most significant digit first, so nothing is reversed (a reversed slice would be copied).
        var divisor = 1
        while divisor <= value / 10 { divisor *= 10 }
        repeat {
            bytes.append(UInt8(truncatingIfNeeded: 0x30 + value / divisor % 10))
            divisor /= 10
        } while divisor > 0
    }

    /// The interim answer to `Expect: 100-continue`.
    package static let continueHead = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
}

/// The IMF-fixdate for Date headers, formatted at most once a second.
package enum HTTPDate {
    private static let cache = Locked<(second: Int, text: String, field: [UInt8])>((-1, "", []))

    package static func now() -> String { current().text }

    /// `Date: <now>\r\n` as bytes, for HTTP/1.1 heads.
    static func field() -> [UInt8] { current().field }

    private static func current() -> (second: Int, text: String, field: [UInt8]) {
        let second = Syscall.wallClock().tv_sec
        return cache.withLock { cached in
            if cached.second != second {
                let text = format(second)
                cached = (second, text, Array("Date: \(text)\r\n".utf8))
            }
            return cached
        }
    }

    static func format(_ seconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
