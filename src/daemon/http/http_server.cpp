#include "daemon/http/http_server.hpp"

#include <pthread.h>

#include <csignal>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>

#include "util/error.hpp"

namespace repmgr::repmgrd {
namespace {

// Runs each connection on the listening thread itself: the endpoints only
// copy a published snapshot, so one thread is plenty, and repmgrd stays at
// two threads whatever the clients do.
class InlineQueue : public httplib::TaskQueue {
public:
    void enqueue(std::function<void()> fn) override { fn(); }
    void shutdown() override {}
};

}  // namespace

struct HttpServer::Impl {
    explicit Impl(const StatusBoard& b) : board(b) {}
    const StatusBoard& board;
    httplib::Server server;
    std::thread thread;
};

HttpServer::HttpServer(const StatusBoard& board) : impl_(std::make_unique<Impl>(board)) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start(const std::string& address, int port) {
    httplib::Server& server = impl_->server;
    server.new_task_queue = [] { return new InlineQueue; };
    // One request per connection and short timeouts: an idle or slow client
    // holds the single thread for at most a couple of seconds.
    server.set_keep_alive_max_count(1);
    server.set_read_timeout(2, 0);
    server.set_write_timeout(2, 0);
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
            a = HttpAnswer{500, "text/plain; charset=utf-8", fmt::format("internal error: {}\n", e.what())};
        }
        res.status = a.status;
        res.set_header("Cache-Control", "no-store");
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
