import TensorMemory

/// How a request's body is delimited (RFC 9112 §6).
package enum BodyFraming: Equatable, Sendable {
    case none
    case length(Int)
    case chunked
}

/// A parsed request line and header section.
package struct HTTPRequestHead: Sendable {
    package var method: String
    /// The request-target as sent.
    package var target: String
    package var versionMinor: Int
    package var headers: HTTPHeaders
    package var framing: BodyFraming
    /// The peer's IP address as text (empty when unknown), for access logs.
    package var clientAddress = ""

    /// The target's path, before any `?`. An absolute-form target (`http://host/path`, RFC 9112 §3.2.2) is read
    /// as its path and query.
    package var path: Substring {
        let origin = originForm
        guard let mark = origin.utf8.firstIndex(of: UInt8(ascii: "?")) else { return origin }
        return origin[..<mark]
    }

    /// The target's query, after the first `?`, or nil.
    package var query: Substring? {
        let origin = originForm
        guard let mark = origin.utf8.firstIndex(of: UInt8(ascii: "?")) else { return nil }
        return origin[origin.index(after: mark)...]
    }

    /// The target without an absolute form's scheme and authority ("/" when it names none).
    private var originForm: Substring {
        guard target.utf8.first != UInt8(ascii: "/"), let schemeEnd = target.firstRange(of: "://") else { return target[...] }
        let scheme = target[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return target[...] }
        let afterAuthority = target[schemeEnd.upperBound...]
        guard let slash = afterAuthority.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return "/" }
        return afterAuthority[slash] == "/" ? afterAuthority[slash...] : "/" + afterAuthority[slash...]
    }

    /// HTTP/1.1 keeps the connection unless told to close; HTTP/1.0 closes unless told to keep it.
    package var wantsKeepAlive: Bool {
        let connection = headers.tokens("connection")
        if connection.contains("close") { return false }
        return versionMinor >= 1 || connection.contains("keep-alive")
    }

    package var expectsContinue: Bool {
        versionMinor >= 1 && headers.tokens("expect").contains("100-continue") && framing != .none
    }

    package var declaredBodyBytes: Int {
        if case .length(let count) = framing { return count }
        return 0
    }
}

/// A whole request: its head and its body, owned by whoever holds the request.
package struct HTTPRequest: Sendable {
    package var head: HTTPRequestHead
    package var body: ByteBuffer
    /// The in-flight budget the request holds; the handler reserves from it what it allocates for the request.
    package var budget: RequestBudget?

    package init(head: HTTPRequestHead, body: ByteBuffer) {
        self.head = head
        self.body = body
    }
}
