#pragma once

#include <memory>
#include <string>

#include "daemon/http/http_status.hpp"

namespace repmgr::repmgrd {

// repmgrd's HTTP endpoints (/health /primary /replica /status /metrics) on one
// extra thread. Handlers answer from the StatusBoard only; they never touch
// the monitor's database connections, so a slow client cannot delay a failover.
class HttpServer {
public:
    HttpServer(const StatusBoard& board);
    ~HttpServer();  // stops and joins the thread
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds address:port (a Failure when that is impossible) and starts serving.
    void start(const std::string& address, int port);
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace repmgr::repmgrd
