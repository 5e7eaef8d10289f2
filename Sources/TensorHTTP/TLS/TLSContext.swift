import COpenSSL

/// Why TLS could not be set up from the operator's files.
package struct TLSSetupError: Error, CustomStringConvertible {
    package let description: String
}

/// The server's TLS settings, shared by every connection: certificate chain and key from PEM files, TLS 1.2 and
/// 1.3 only, ALPN `h2` (preferred) and `http/1.1`.
package final class TLSContext: @unchecked Sendable {
    // @unchecked Sendable: the SSL_CTX is configured once in init and only read afterwards (SSL_new), which
    // OpenSSL allows from any thread.
    let context: OpaquePointer

    package init(certificatePath: String, keyPath: String) throws(TLSSetupError) {
        // First, before anything else initialises OpenSSL with its defaults.
        _ = tk_openssl_init_without_atexit()
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw TLSSetupError(description: "SSL_CTX_new failed") }
        self.context = context
        _ = tk_ssl_ctx_set_min_proto_version(context, tk_tls1_2_version())
        _ = tk_ssl_ctx_set_mode(context, tk_ssl_mode_partial_writes())
        guard SSL_CTX_use_certificate_chain_file(context, certificatePath) == 1 else {
            throw TLSSetupError(description: "cannot load the certificate chain from \(certificatePath): \(Self.lastError())")
        }
        guard SSL_CTX_use_PrivateKey_file(context, keyPath, SSL_FILETYPE_PEM) == 1 else {
            throw TLSSetupError(description: "cannot load the private key from \(keyPath): \(Self.lastError())")
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            throw TLSSetupError(description: "the private key in \(keyPath) does not match the certificate")
        }
        SSL_CTX_set_alpn_select_cb(context, { _, selected, selectedLength, offered, offeredLength, _ in
            // Wire format: a length byte, then the protocol name, repeated. h2 wins when offered (gRPC needs it).
            guard let offered else { return SSL_TLSEXT_ERR_NOACK }
            for wanted in ["h2", "http/1.1"] {
                var index = 0
                while index < Int(offeredLength) {
                    let length = Int(offered[index])
                    let name = UnsafeBufferPointer(start: offered + index + 1, count: min(length, Int(offeredLength) - index - 1))
                    if name.elementsEqual(wanted.utf8) {
                        selected?.pointee = offered + index + 1
                        selectedLength?.pointee = UInt8(length)
                        return SSL_TLSEXT_ERR_OK
                    }
                    index += 1 + length
                }
            }
            return SSL_TLSEXT_ERR_NOACK
        }, nil)
    }

    deinit { SSL_CTX_free(context) }

    static func lastError() -> String {
        let code = ERR_get_error()
        guard code != 0 else { return "unknown error" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
