import Glibc

/// HTTPS: every byte goes through one `TLSSession` over the connection's socket.
final class TLSTransport: ConnectionTransport {
    private let session: TLSSession
    private let descriptor: Int32

    init?(context: TLSContext, descriptor: Int32) {
        guard let session = TLSSession(context: context, descriptor: descriptor) else { return nil }
        self.session = session
        self.descriptor = descriptor
    }

    var isReady: Bool { session.isHandshakeComplete }
    var negotiatedHTTP2: Bool { session.selectedProtocol == "h2" }
    var hasBufferedInput: Bool { session.hasPendingBytes }
    var tracksReadinessExactly: Bool { false }

    func advanceHandshake() -> TransportProgress {
        guard !session.isHandshakeComplete else { return .ready }
        switch session.handshake() {
        case .done: return .ready
        case .wantRead: return .needsReadable
        case .wantWrite: return .needsWritable
        case .closed, .failed: return .failed
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> TransportRead {
        switch session.read(into: buffer) {
        case .done(let count): return .bytes(count)
        // A read that must first write (a TLS key update) waits like any other: the connection retries reading
        // on every readiness change of its socket.
        case .wantRead, .wantWrite: return .wouldBlock
        case .closed: return .end
        case .failed: throw SystemError(code: EPROTO, call: "SSL_read")
        }
    }

    /// TLS has no gather write: the first unsent segment goes out as records.
    func write(_ outbound: OutboundQueue) throws(SystemError) -> Int? {
        switch outbound.withFirstUnsent({ session.write($0) }) {
        case .done(let count): return count
        case .wantRead, .wantWrite: return nil
        case .closed: throw SystemError(code: EPIPE, call: "SSL_write")
        case .failed: throw SystemError(code: EPROTO, call: "SSL_write")
        }
    }

    func shutdownOutput() {
        session.shutdown()
        Syscall.shutdownOutput(descriptor)
    }
}
