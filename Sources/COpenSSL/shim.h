#include <openssl/ssl.h>
#include <openssl/err.h>

// OpenSSL spells these as macros, which Swift cannot call.
static inline long tk_ssl_ctx_set_min_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_min_proto_version(ctx, version);
}
static inline long tk_ssl_ctx_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline int tk_tls1_2_version(void) { return TLS1_2_VERSION; }
static inline long tk_ssl_mode_partial_writes(void) {
    return SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS;
}

// OpenSSL's exit-time cleanup could run while a thread that used TLS is still ending (its thread-stop handler then
// frees state the cleanup has freed already). The server keeps OpenSSL for its whole life and lets the process
// exit take everything.
static inline int tk_openssl_init_without_atexit(void) {
    return OPENSSL_init_ssl(OPENSSL_INIT_NO_ATEXIT | OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS, NULL);
}
