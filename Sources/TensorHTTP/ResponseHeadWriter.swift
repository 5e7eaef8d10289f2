import Foundation

/// Writes a status line and header section, adding the fields every answer carries.
package enum ResponseHeadWriter {
    /// Serializes the head of `response` with Content-Length, Date, Server and, when needed, Connection.
    package static func head(for response: HTTPResponse, keepAlive: Bool, clientMinorVersion: Int) -> [UInt8] {
        var text = "HTTP/1.1 \(response.status) \(HTTPStatus.reason(response.status))\r\n"
        for (name, value) in response.headers { text += "\(name): \(value)\r\n" }
        text += "Content-Length: \(response.bodyCount)\r\n"
        text += "Date: \(HTTPDate.now())\r\nServer: tensor-service\r\n"
        if !keepAlive {
            text += "Connection: close\r\n"
        } else if clientMinorVersion == 0 {
            text += "Connection: keep-alive\r\n"
        }
        text += "\r\n"
        return Array(text.utf8)
    }

    /// The interim answer to `Expect: 100-continue`.
    package static let continueHead = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
}

/// The IMF-fixdate for Date headers, formatted at most once a second.
package enum HTTPDate {
    private static let cache = Locked<(second: Int, text: String)>((-1, ""))

    package static func now() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let second = now.tv_sec
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
