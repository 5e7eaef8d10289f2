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

/// An answer body made piece by piece while it is sent (a large JSON answer), so that it never exists whole. Its
/// size is known before the first piece (the answer has a Content-Length like any other); the connection asks for
/// the next piece while the socket takes the last, and at most two wait to be written at any time. The answer is
/// complete when `byteCount` bytes have come.
package protocol StreamedBody: AnyObject, Sendable {
    /// The body's size, exactly.
    var byteCount: Int { get }
    /// Makes the next piece and calls `deliver` with it, on any thread. Called again only after `deliver`, and not
    /// after the last byte.
    func produceNext(_ deliver: @escaping @Sendable (StreamedPiece) -> Void)
    /// The answer will not be sent on (the client left, or asked with HEAD): let go of what it holds. May come while
    /// a piece is being made.
    func cancel()
}

/// What `StreamedBody.produceNext` delivers.
package enum StreamedPiece: Sendable {
    case bytes([UInt8])
    /// The piece could not be made; the answer is cut off (its head is sent already), which the client sees.
    case failed(String)
}

/// An answer. Content-Length, Date, Server and Connection are added when it is written.
package struct HTTPResponse: Sendable {
    package var status: Int
    package var headers: [(name: String, value: String)]
    package var body: [BodySegment]
    /// When set, the body is this, made while it is sent, and `body` is empty.
    package var streamedBody: (any StreamedBody)?
    /// Sent as `X-Request-Id` after `headers` (a field of its own: set on every answer, it would otherwise copy a
    /// shared header array each time).
    package var requestID: RequestID?
    /// What the handler noted of the exchange: given back to `HTTPHandler.exchangeFinished`, on the connection's
    /// event loop, once the answer's last byte has been written or the connection closed before that.
    package var record: ExchangeRecord?

    package init(status: Int, headers: [(String, String)] = [], body: [BodySegment] = []) {
        self.init(status: status, fields: headers.map { (name: $0.0, value: $0.1) }, body: body)
    }

    /// The fields as they are stored (no second array made from a first).
    package init(status: Int, fields: [(name: String, value: String)], body: [BodySegment]) {
        self.status = status
        self.headers = fields
        self.body = body
    }

    package init(status: Int, contentType: String, body: [UInt8], headers: [(String, String)] = []) {
        self.init(status: status, headers: [("Content-Type", contentType)] + headers, body: [.bytes(body)])
    }

    package var bodyCount: Int { streamedBody?.byteCount ?? body.reduce(0) { $0 + $1.count } }

    package func header(_ name: String) -> String? {
        let key = name.lowercased()
        if key == "x-request-id", let requestID { return requestID.description }
        return headers.first { $0.name.lowercased() == key }?.value
    }
}
