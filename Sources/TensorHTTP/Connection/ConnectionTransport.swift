import Glibc

/// How a connection moves bytes: straight through its socket, or through TLS. The connection does not know which.
///
/// Used on the connection's event loop only.
protocol ConnectionTransport: AnyObject {
    /// True once application bytes can flow (at once for plain sockets; after the handshake for TLS).
    var isReady: Bool { get }
    /// Advances a handshake with whatever the socket allows; `.failed` closes the connection.
    func advanceHandshake() -> TransportProgress
    /// Reads application bytes into `buffer`.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> TransportRead
    /// Whether reads wait only for readability and writes only for writability, and a read that filled less than
    /// its buffer has emptied the socket. True for a plain stream socket: its next arrival is reported as a new
    /// edge, so the read that would only say EAGAIN is skipped. Not for TLS, which reads a record at a time and
    /// may need to write in order to read (or read in order to write): every edge then retries both.
    var tracksReadinessExactly: Bool { get }
    /// Writes from the front of `outbound`; returns how many bytes left, or nil when the socket is full.
    func write(_ outbound: OutboundQueue) throws(SystemError) -> Int?
    /// Bytes already taken from the socket and not yet read (decrypted TLS records): the socket will not report
    /// them again.
    var hasBufferedInput: Bool { get }
    /// Ends our side of the stream (TLS close_notify, then FIN); we may still read.
    func shutdownOutput()
    /// True when the TLS handshake's ALPN chose `h2`.
    var negotiatedHTTP2: Bool { get }
}

extension ConnectionTransport {
    var negotiatedHTTP2: Bool { false }
}

enum TransportProgress: Equatable {
    case ready
    case needsReadable
    case needsWritable
    case failed
}

enum TransportRead: Equatable {
    case bytes(Int)
    /// The peer ended the stream.
    case end
    case wouldBlock
}

/// A plain TCP (or Unix) socket: reads with `read`, writes every queued segment at once with `sendmsg`.
final class PlainTransport: ConnectionTransport {
    private let descriptor: Int32

    init(descriptor: Int32) { self.descriptor = descriptor }

    var isReady: Bool { true }
    var hasBufferedInput: Bool { false }
    var tracksReadinessExactly: Bool { true }

    func advanceHandshake() -> TransportProgress { .ready }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> TransportRead {
        switch try Syscall.read(descriptor, into: buffer) {
        case .wouldBlock: .wouldBlock
        case .done(0): .end
        case .done(let count): .bytes(count)
        }
    }

    func write(_ outbound: OutboundQueue) throws(SystemError) -> Int? {
        let result = outbound.withIOVectors { vectors in
            Result { () throws(SystemError) in try Syscall.send(descriptor, vectors: vectors) }
        }
        guard case .done(let count) = try result.get() else { return nil }
        return count
    }

    func shutdownOutput() { Syscall.shutdownOutput(descriptor) }
}

/// Stands in for a TLS session that could not be created: its handshake fails, so the connection closes.
final class FailedTransport: ConnectionTransport {
    var isReady: Bool { false }
    var hasBufferedInput: Bool { false }
    var tracksReadinessExactly: Bool { false }
    func advanceHandshake() -> TransportProgress { .failed }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> TransportRead { .end }
    func write(_ outbound: OutboundQueue) throws(SystemError) -> Int? { throw SystemError(code: EPROTO, call: "SSL_new") }
    func shutdownOutput() {}
}
