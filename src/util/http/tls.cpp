#include "util/http/tls.hpp"

#include <fcntl.h>
#include <poll.h>

#include <fmt/format.h>
#include <openssl/err.h>

#include "util/error.hpp"

namespace repmgr::http {
namespace {

std::string openssl_reason() {
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (e == 0) return "no reason given by OpenSSL";
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    return buf;
}

}  // namespace

SslContext load_tls_context(const std::string& cert_file, const std::string& key_file) {
    auto tls_failure = [&](const std::string& what) {
        fail(ExitCode::BadConfig, fmt::format("repmgrd cannot serve HTTPS: {}", what),
             openssl_reason(),
             "http_tls_cert must name a readable PEM certificate (chain) and http_tls_key its "
             "PEM private key (unencrypted), both readable by the user running repmgrd; correct "
             "them in repmgr.conf or remove both for plain HTTP");
    };
    SslContext ctx(SSL_CTX_new(TLS_server_method()));
    if (!ctx) tls_failure("OpenSSL could not create a context");
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE);
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert_file.c_str()) != 1)
        tls_failure(fmt::format("cannot load the certificate \"{}\"", cert_file));
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), key_file.c_str(), SSL_FILETYPE_PEM) != 1)
        tls_failure(fmt::format("cannot load the private key \"{}\"", key_file));
    if (SSL_CTX_check_private_key(ctx.get()) != 1)
        tls_failure(fmt::format("the key \"{}\" does not belong to the certificate \"{}\"",
                                key_file, cert_file));
    return ctx;
}

TlsStream::TlsStream(SSL_CTX* ctx, int fd, const ConnectionLimits& limits)
    : plain_(fd, limits), ssl_(SSL_new(ctx)), read_left_(limits.max_request_bytes) {
    // Non-blocking, so that no OpenSSL call can outlive the deadline.
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    if (ssl_) SSL_set_fd(ssl_, fd);
}

TlsStream::~TlsStream() {
    if (!ssl_) return;
    SSL_shutdown(ssl_);  // best effort: one non-blocking close_notify
    SSL_free(ssl_);
    ERR_clear_error();
}

bool TlsStream::wait_after(int ret) const {
    switch (SSL_get_error(ssl_, ret)) {
        case SSL_ERROR_WANT_READ: return plain_.wait_for(POLLIN);
        case SSL_ERROR_WANT_WRITE: return plain_.wait_for(POLLOUT);
        default: return false;
    }
}

bool TlsStream::handshake() {
    if (!ssl_) return false;
    for (;;) {
        ERR_clear_error();
        int ret = SSL_accept(ssl_);
        if (ret == 1) return true;
        if (!wait_after(ret)) return false;
    }
}

bool TlsStream::is_readable() const {
    return read_left_ > 0 && (SSL_pending(ssl_) > 0 || plain_.wait_for(POLLIN));
}

bool TlsStream::is_writable() const { return plain_.wait_for(POLLOUT); }

ssize_t TlsStream::read(char* ptr, std::size_t size) {
    if (read_left_ == 0) return -1;
    int want = static_cast<int>(std::min({size, read_left_, std::size_t{1} << 20}));
    for (;;) {
        ERR_clear_error();
        int n = SSL_read(ssl_, ptr, want);
        if (n > 0) {
            read_left_ -= static_cast<std::size_t>(n);
            return n;
        }
        if (SSL_get_error(ssl_, n) == SSL_ERROR_ZERO_RETURN) return 0;
        if (!wait_after(n)) return -1;
    }
}

ssize_t TlsStream::write(const char* ptr, std::size_t size) {
    int want = static_cast<int>(std::min(size, std::size_t{1} << 20));
    for (;;) {
        ERR_clear_error();
        int n = SSL_write(ssl_, ptr, want);
        if (n > 0) return n;
        if (!wait_after(n)) return -1;
    }
}

}  // namespace repmgr::http
