/// A piece of an answer's body: bytes made for it, or a range of a buffer that already holds them.
package enum BodySegment: Sendable {
    case bytes([UInt8])
    case buffer(ByteBuffer, Range<Int>)

    package var count: Int {
        switch self {
        case .bytes(let bytes): bytes.count
        case .buffer(_, let range): range.count
        }
    }
}

/// An answer. Content-Length, Date, Server and Connection are added when it is written.
package struct HTTPResponse: Sendable {
    package var status: Int
    package var headers: [(name: String, value: String)]
    package var body: [BodySegment]
    /// Called on the connection's event loop once the answer's last byte has been written, or once the connection
    /// closed before that; for metrics and access logs that time the whole exchange.
    package var onWritten: (@Sendable (ExchangeTiming) -> Void)?

    package init(status: Int, headers: [(String, String)] = [], body: [BodySegment] = []) {
        self.status = status
        self.headers = headers.map { (name: $0.0, value: $0.1) }
        self.body = body
    }

    package init(status: Int, contentType: String, body: [UInt8], headers: [(String, String)] = []) {
        self.init(status: status, headers: [("Content-Type", contentType)] + headers, body: [.bytes(body)])
    }

    package var bodyCount: Int { body.reduce(0) { $0 + $1.count } }

    package func header(_ name: String) -> String? {
        let key = name.lowercased()
        return headers.first { $0.name.lowercased() == key }?.value
    }
}
