/// Turns a connection's byte stream into requests, one at a time, in order.
///
/// The head is found and parsed in the input buffer. A Content-Length body gets one buffer of exactly that size:
/// bytes already buffered are moved in, and the connection reads the rest straight into it through
/// `directBodyWindow`, so a large tensor is never copied on the way in. A chunked body grows geometrically.
package struct HTTPRequestDecoder {
    package struct Limits: Sendable {
        package var maxHeadBytes: Int
        package var maxBodyBytes: Int

        package init(maxHeadBytes: Int = 16 * 1024, maxBodyBytes: Int) {
            self.maxHeadBytes = maxHeadBytes
            self.maxBodyBytes = maxBodyBytes
        }
    }

    package enum Event {
        /// A head arrived; call `beginBody()` (or answer early and close) before asking for the next event.
        case head(HTTPRequestHead)
        /// The request is whole.
        case request(HTTPRequest)
    }

    private enum State {
        case head(searchedUpTo: Int)
        case headDelivered(HTTPRequestHead)
        case fixedBody(HTTPRequestHead, ByteBuffer, total: Int)
        case chunkedBody(HTTPRequestHead, ByteBuffer, ChunkedBodyDecoder)
    }

    private var state = State.head(searchedUpTo: 0)
    package let limits: Limits

    /// A head that parsed but was refused for its declared body size: what the access log can say of the request.
    package private(set) var refusedHead: HTTPRequestHead?

    /// The last head's fields, shared with that head: once its request is over nothing else holds them, and the next
    /// head is parsed into their storage (a keep-alive client then costs no allocation for its fields). Kept only
    /// from heads of at most `maxRecycledHeadBytes`, so an idle connection holds little.
    private var recycledFields = HTTPHeaders(reservingCapacity: 8)
    private static let maxRecycledHeadBytes = 1024

    /// The peer's address, stamped on every head this decoder delivers (and on a refused one).
    package let clientAddress: String

    package init(limits: Limits, clientAddress: String = "") {
        self.limits = limits
        self.clientAddress = clientAddress
    }

    /// Advances with what `input` holds; nil means more bytes are needed.
    package mutating func next(from input: inout InputBuffer) throws(HTTPRequestError) -> Event? {
        switch state {
        case .head(let searchedUpTo):
            let readable = input.readable
            guard let length = HTTPHeadParser.headLength(in: readable, searchFrom: max(0, searchedUpTo - 3)) else {
                if readable.count > limits.maxHeadBytes { throw .headTooLarge(limit: limits.maxHeadBytes) }
                state = .head(searchedUpTo: readable.count)
                return nil
            }
            if length > limits.maxHeadBytes { throw .headTooLarge(limit: limits.maxHeadBytes) }
            let bytes = UnsafeRawBufferPointer(rebasing: readable[0..<length])
            var head: HTTPRequestHead
            var fields = HTTPHeaders()
            swap(&fields, &recycledFields)
            do {
                head = try HTTPHeadParser.parse(bytes, maxBodyBytes: limits.maxBodyBytes, reusing: consume fields)
            } catch .bodyTooLarge(let limit) {
                // Rare, so parsed a second time without the limit, for the method and target it names.
                refusedHead = try? HTTPHeadParser.parse(bytes, maxBodyBytes: .max)
                refusedHead?.clientAddress = clientAddress
                throw .bodyTooLarge(limit: limit)
            }
            head.clientAddress = clientAddress
            if length <= Self.maxRecycledHeadBytes { recycledFields = head.headers }
            input.consume(length)
            state = .headDelivered(head)
            return .head(head)
        case .headDelivered:
            preconditionFailure("beginBody() must follow a head event")
        case .fixedBody(let head, let body, let total):
            let wanted = min(total - body.count, input.readableCount)
            if wanted > 0 {
                body.append(UnsafeRawBufferPointer(rebasing: input.readable.prefix(wanted)))
                input.consume(wanted)
            }
            guard body.count == total else { return nil }
            state = .head(searchedUpTo: 0)
            return .request(HTTPRequest(head: head, body: body))
        case .chunkedBody(let head, let body, var decoder):
            let complete = try decoder.decode(&input, into: body)
            guard complete else {
                state = .chunkedBody(head, body, decoder)
                return nil
            }
            state = .head(searchedUpTo: 0)
            return .request(HTTPRequest(head: head, body: body))
        }
    }

    /// Starts reading the body of the head just delivered, into `spare` when it is large enough. The caller hands
    /// over `spare` (a previous body nobody else holds) and must not touch it afterwards.
    package mutating func beginBody(reusing spare: ByteBuffer? = nil) {
        guard case .headDelivered(let head) = state else { preconditionFailure("beginBody() without a head") }
        func buffer(capacity: Int) -> ByteBuffer {
            guard let spare, spare.capacity >= capacity else { return ByteBuffer(capacity: capacity) }
            spare.count = 0
            return spare
        }
        switch head.framing {
        case .none: state = .fixedBody(head, buffer(capacity: 0), total: 0)
        case .length(let count): state = .fixedBody(head, buffer(capacity: count), total: count)
        case .chunked:
            state = .chunkedBody(head, buffer(capacity: 4096), ChunkedBodyDecoder(maxBodyBytes: limits.maxBodyBytes))
        }
    }

    /// Bytes of the chunked body read so far, while one is being read; nil otherwise.
    package var chunkedBodyByteCount: Int? {
        guard case .chunkedBody(_, let body, _) = state else { return nil }
        return body.count
    }

    /// Where the rest of a Content-Length body can be read directly from the socket, or nil.
    package var directBodyWindow: UnsafeMutableRawBufferPointer? {
        guard case .fixedBody(_, let body, let total) = state, body.count < total else { return nil }
        return UnsafeMutableRawBufferPointer(start: body.base + body.count, count: total - body.count)
    }

    /// Records `count` bytes written into `directBodyWindow`.
    package mutating func directBodyFilled(_ count: Int) {
        guard case .fixedBody(_, let body, _) = state else { preconditionFailure("no body in progress") }
        body.count += count
    }
}
