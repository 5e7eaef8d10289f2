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

    /// Serializes the head into `bytes`, replacing what it held. Appends straight into one byte array: this runs
    /// for every answer, and building a `String` first costs a second buffer and a copy. A connection passes the
    /// array of its previous answer: once that has been written (nothing else holds it), its storage is reused.
    package static func write(_ response: HTTPResponse, keepAlive: Bool, clientMinorVersion: Int, into bytes: inout [UInt8]) {
        bytes.removeAll(keepingCapacity: true)
        bytes.reserveCapacity(256)
        bytes.append(contentsOf: "HTTP/1.1 ".utf8)
        appendDecimal(response.status, to: &bytes)
        bytes.append(0x20)
        bytes.append(contentsOf: HTTPStatus.reason(response.status).utf8)
        bytes.append(contentsOf: "\r\n".utf8)
        for (name, value) in response.headers { appendField(name, value, to: &bytes) }
        if let requestID = response.requestID {
            bytes.append(contentsOf: "X-Request-Id: ".utf8)
            requestID.withUTF8 { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: "\r\n".utf8)
        }
        bytes.append(contentsOf: "Content-Length: ".utf8)
        appendDecimal(response.bodyCount, to: &bytes)
        bytes.append(contentsOf: "\r\n".utf8)
        appendField("Date", HTTPDate.now(), to: &bytes)
        bytes.append(contentsOf: "Server: tensor-service\r\n".utf8)
        if !keepAlive {
            bytes.append(contentsOf: "Connection: close\r\n".utf8)
        } else if clientMinorVersion == 0 {
            bytes.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        bytes.append(contentsOf: "\r\n".utf8)
    }

    private static func appendField(_ name: String, _ value: String, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: name.utf8)
        bytes.append(contentsOf: ": ".utf8)
        bytes.append(contentsOf: value.utf8)
        bytes.append(contentsOf: "\r\n".utf8)
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
    private static let cache = Locked<(second: Int, text: String)>((-1, ""))

    package static func now() -> String {
        let second = Syscall.wallClock().tv_sec
        return cache.withLock { cached in
            if cached.second != second {
                cached = (second, format(second))
            }
            return cached.text
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
