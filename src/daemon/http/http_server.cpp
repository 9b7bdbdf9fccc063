#include "daemon/http/http_server.hpp"

#include <pthread.h>

#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>

#include "daemon/http/http_conn.hpp"
#include "daemon/http/http_tls.hpp"
#include "util/error.hpp"
#include "util/mask.hpp"

namespace repmgr::repmgrd {
namespace {

constexpr std::size_t kWorkers = 4;      // a slow client holds one; /health gets another
constexpr std::size_t kMaxWaiting = 16;  // accepted connections waiting for a worker

// httplib::Server with our connection handling: every accepted socket is made
// close-on-exec at once and served through a DeadlineStream, one request per
// connection. (Overriding the library's private virtual is how its own
// SSLServer plugs in; process_request() is the documented protected core.)
class GuardedServer : public httplib::Server {
public:
    explicit GuardedServer(ConnectionLimits limits) : limits_(limits) {}
    void use_tls(SslContext ctx) { tls_ = std::move(ctx); }

private:
    bool process_and_close_socket(socket_t sock) override {
        set_cloexec(sock);
        bool served = false;
        try {
            bool closed = false;
            if (tls_) {
                TlsStream stream(tls_.get(), sock, limits_);
                served = stream.handshake() &&
                         process_request(stream, /*close_connection=*/true, closed, nullptr);
            } else {
                DeadlineStream stream(sock, limits_);
                served = process_request(stream, /*close_connection=*/true, closed, nullptr);
            }
        } catch (...) {
            // Nothing may unwind into the worker; the socket is closed below.
        }
        ::shutdown(sock, SHUT_RDWR);
        ::close(sock);
        return served;
    }

    ConnectionLimits limits_;
    SslContext tls_;  // set before the first connection, read-only after
};

// Replaces the library's default, which sets SO_REUSEPORT: with it a second
// repmgrd (or a child that inherited the socket) binds the same port silently
// and takes a share of the health checks. SO_REUSEADDR alone lets a restarted
// repmgrd bind while old connections linger in TIME_WAIT.
void listening_socket_options(socket_t sock) {
    set_cloexec(sock);
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
}

}  // namespace

struct HttpServer::Impl {
    explicit Impl(const StatusBoard& b) : board(b) {}
    const StatusBoard& board;
    GuardedServer server{ConnectionLimits{}};
    std::thread thread;
};

HttpServer::HttpServer(const StatusBoard& board) : impl_(std::make_unique<Impl>(board)) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start(const HttpSettings& settings) {
    const std::string& address = settings.address;
    int port = settings.port;
    GuardedServer& server = impl_->server;
    if (!settings.tls_cert.empty())
        server.use_tls(load_tls_context(settings.tls_cert, settings.tls_key));
    // Checked before routing, so a refused client learns nothing but the 403.
    server.set_pre_routing_handler(
        [allowed = settings.allowed](const httplib::Request& req, httplib::Response& res) {
            if (allowed.allows(req.remote_addr)) return httplib::Server::HandlerResponse::Unhandled;
            res.status = 403;
            res.set_content("forbidden\n", "text/plain; charset=utf-8");
            return httplib::Server::HandlerResponse::Handled;
        });
    server.new_task_queue = [] { return new BoundedPool(kWorkers, kMaxWaiting); };
    server.set_socket_options(listening_socket_options);
    // The endpoints take no body: a request announcing one is refused (413)
    // before anything is read into memory.
    server.set_payload_max_length(0);
    server.set_keep_alive_max_count(1);
    const StatusBoard& board = impl_->board;
    // GET routes answer HEAD too (cpp-httplib sends the headers without the body).
    server.Get(".*", [&board](const httplib::Request& req, httplib::Response& res) {
        HttpAnswer a;
        try {
            QueryParams params(req.params.begin(), req.params.end());
            std::shared_ptr<const DaemonStatus> status = board.latest();
            a = answer_request(req.path, params, status.get(), std::chrono::system_clock::now());
        } catch (const std::exception& e) {
            // Never let an exception unwind into the library's frames.
            a = HttpAnswer{500, "text/plain; charset=utf-8", fmt::format("internal error: {}\n", mask_passwords(e.what())), {}};
        }
        res.status = a.status;
        res.set_header("Cache-Control", "no-store");
        for (const auto& [name, value] : a.headers) res.set_header(name, value);
        res.set_content(std::move(a.body), a.content_type.c_str());
    });
    if (!server.bind_to_port(address, port))
        fail(ExitCode::BadConfig,
             fmt::format("repmgrd cannot serve HTTP on {}:{}", address, port),
             "binding the socket failed: the address is not local, the port is in use, or a "
             "port below 1024 needs privileges",
             "correct http_listen_address/http_port in repmgr.conf (or stop what holds the "
             "port), then start repmgrd again; http_port=0 turns the endpoints off");
    impl_->thread = std::thread([&server] {
        // Signals are repmgrd's main loop's business.
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, nullptr);
        server.listen_after_bind();
    });
}

void HttpServer::stop() {
    if (!impl_ || !impl_->thread.joinable()) return;
    impl_->server.stop();
    impl_->thread.join();
}

}  // namespace repmgr::repmgrd
