#pragma once

#include <memory>
#include <string>

#include <openssl/ssl.h>

#include "util/http/conn.hpp"

namespace repmgr::http {

struct SslCtxFree {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using SslContext = std::unique_ptr<SSL_CTX, SslCtxFree>;

// A server context from PEM files (TLS 1.2 and later); a Failure naming the
// file and OpenSSL's reason when they cannot be loaded or do not match.
SslContext load_tls_context(const std::string& cert_file, const std::string& key_file);

// A TLS connection with the same whole-connection deadline and read budget as
// DeadlineStream (the handshake counts against both).
class TlsStream : public httplib::Stream {
public:
    TlsStream(SSL_CTX* ctx, int fd, const ConnectionLimits& limits);
    ~TlsStream() override;
    TlsStream(const TlsStream&) = delete;
    TlsStream& operator=(const TlsStream&) = delete;

    // Runs the handshake; false when the client fails it or the deadline passes.
    bool handshake();

    bool is_readable() const override;
    bool is_writable() const override;
    ssize_t read(char* ptr, std::size_t size) override;
    ssize_t write(const char* ptr, std::size_t size) override;
    void get_remote_ip_and_port(std::string& ip, int& port) const override {
        plain_.get_remote_ip_and_port(ip, port);
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override {
        plain_.get_local_ip_and_port(ip, port);
    }
    int socket() const override { return plain_.socket(); }

private:
    // Waits for what OpenSSL asked for after a call returned `ret`; false on
    // a real error or when the deadline passed.
    bool wait_after(int ret) const;

    DeadlineStream plain_;  // the deadline and the polling
    SSL* ssl_;
    std::size_t read_left_;
};

}  // namespace repmgr::http
