/// The first bytes of an HTTP/2 connection with prior knowledge (RFC 9113 §3.4): a connection that opens with them
/// is h2c, anything else HTTP/1.1, on the same port.
enum HTTP2Preface {
    static let bytes = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    enum Match: Equatable {
        /// Too few bytes to tell, and those there are agree with the preface.
        case incomplete
        case http2
        case other
    }

    static func match(_ input: UnsafeRawBufferPointer) -> Match {
        let count = min(input.count, bytes.count)
        guard input.prefix(count).elementsEqual(bytes.prefix(count)) else { return .other }
        return count == bytes.count ? .http2 : .incomplete
    }
}
