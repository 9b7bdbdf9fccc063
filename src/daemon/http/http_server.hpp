#pragma once

#include <memory>
#include <string>

#include "config/client_allow.hpp"
#include "daemon/http/http_status.hpp"
#include "util/http/transport.hpp"

namespace repmgr::repmgrd {

// repmgrd's HTTP endpoints (/health /primary /replica /status /metrics) on one
// extra thread, served by the HTTP module (util/http_module.hpp). Handlers
// answer from the StatusBoard only; they never touch the monitor's database
// connections, so a slow client cannot delay a failover.
struct HttpSettings {
    std::string address;
    int port = 0;
    std::string tls_cert;  // both set: HTTPS
    std::string tls_key;
    ClientAllowList allowed;  // others get 403
};

class HttpServer {
public:
    HttpServer(const StatusBoard& board);
    ~HttpServer();  // stops and joins the thread
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Loads the HTTP module and the TLS files if any, binds address:port (a
    // Failure when any is impossible) and starts serving.
    void start(const HttpSettings& settings);
    void stop();

private:
    const StatusBoard& board_;
    std::unique_ptr<http::Server> server_;
};

}  // namespace repmgr::repmgrd
