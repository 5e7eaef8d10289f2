import COpenSSL

/// One connection's TLS state over its non-blocking socket. Used only on the connection's event loop.
final class TLSSession {
    private let ssl: OpaquePointer
    private(set) var isHandshakeComplete = false

    enum Progress: Equatable {
        case done(Int)
        case wantRead
        case wantWrite
        /// The peer closed the TLS session cleanly.
        case closed
        case failed(String)
    }

    init?(context: TLSContext, descriptor: Int32) {
        guard let ssl = SSL_new(context.context) else { return nil }
        self.ssl = ssl
        SSL_set_fd(ssl, descriptor)
        SSL_set_accept_state(ssl)
    }

    deinit { SSL_free(ssl) }

    /// Advances the handshake; `.done` once it is complete.
    func handshake() -> Progress {
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            isHandshakeComplete = true
            return .done(0)
        }
        return progress(for: result)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> Progress {
        ERR_clear_error()
        let result = SSL_read(ssl, buffer.baseAddress, Int32(min(buffer.count, Int(Int32.max))))
        return result > 0 ? .done(Int(result)) : progress(for: result)
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> Progress {
        guard bytes.count > 0 else { return .done(0) }
        ERR_clear_error()
        let result = SSL_write(ssl, bytes.baseAddress, Int32(min(bytes.count, Int(Int32.max))))
        return result > 0 ? .done(Int(result)) : progress(for: result)
    }

    /// The protocol ALPN chose (`h2`, `http/1.1`), or nil.
    var selectedProtocol: String? {
        var name: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &name, &length)
        guard let name, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: name, count: Int(length)), as: UTF8.self)
    }

    /// Decrypted bytes OpenSSL holds that the socket will not signal again.
    var hasPendingBytes: Bool { SSL_pending(ssl) > 0 }

    func shutdown() {
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
    }

    private func progress(for result: Int32) -> Progress {
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case SSL_ERROR_ZERO_RETURN: return .closed
        default: return .failed(TLSContext.lastError())
        }
    }
}
