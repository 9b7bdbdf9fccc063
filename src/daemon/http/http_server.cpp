#include "daemon/http/http_server.hpp"

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/http_module.hpp"
#include "util/mask.hpp"

namespace repmgr::repmgrd {

HttpServer::HttpServer(const StatusBoard& board) : board_(board) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start(const HttpSettings& settings) {
    http::ServerOptions options;
    options.address = settings.address;
    options.port = settings.port;
    options.tls_cert = settings.tls_cert;
    options.tls_key = settings.tls_key;
    server_ = http_module().make_server();
    const StatusBoard& board = board_;
    auto answer = [&board](const http::Request& req) {
        HttpAnswer a;
        try {
            QueryParams params(req.params.begin(), req.params.end());
            std::shared_ptr<const DaemonStatus> status = board.latest();
            a = answer_request(req.path, params, status.get(), std::chrono::system_clock::now());
        } catch (const std::exception& e) {
            // Never let an exception unwind into the library's frames.
            a = HttpAnswer{500, "text/plain; charset=utf-8",
                           fmt::format("internal error: {}\n", mask_passwords(e.what())), {}};
        }
        http::Reply reply{a.status, std::move(a.content_type), std::move(a.body),
                          {{"Cache-Control", "no-store"}}};
        for (auto& header : a.headers) reply.headers.push_back(std::move(header));
        return reply;
    };
    auto allowed = [list = settings.allowed](const std::string& addr) { return list.allows(addr); };
    if (!server_->start(options, allowed, answer))
        fail(ExitCode::BadConfig,
             fmt::format("repmgrd cannot serve HTTP on {}:{}", settings.address, settings.port),
             "binding the socket failed: the address is not local, the port is in use, or a "
             "port below 1024 needs privileges",
             "correct http_listen_address/http_port in repmgr.conf (or stop what holds the "
             "port), then start repmgrd again; http_port=0 turns the endpoints off");
}

void HttpServer::stop() {
    if (server_) server_->stop();
}

}  // namespace repmgr::repmgrd
