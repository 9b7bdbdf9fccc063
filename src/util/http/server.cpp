// The module's HTTP server: cpp-httplib's parser and router behind our
// connection handling (deadlines, a bounded pool, TLS through OpenSSL).

#include <pthread.h>

#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <thread>

#include <httplib.h>

#include "util/http/conn.hpp"
#include "util/http/server.hpp"
#include "util/http/tls.hpp"

namespace repmgr::http {
namespace {

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

class LibraryServer : public Server {
public:
    ~LibraryServer() override { stop(); }

    bool start(const ServerOptions& options, std::function<bool(const std::string&)> allowed,
               std::function<Reply(const Request&)> handler) override {
        server_ = std::make_unique<GuardedServer>(
            ConnectionLimits{options.deadline, options.max_request_bytes});
        GuardedServer& server = *server_;
        if (!options.tls_cert.empty())
            server.use_tls(load_tls_context(options.tls_cert, options.tls_key));
        // Checked before routing, so a refused client learns nothing but the 403.
        server.set_pre_routing_handler(
            [allowed = std::move(allowed)](const httplib::Request& req, httplib::Response& res) {
                if (allowed(req.remote_addr)) return httplib::Server::HandlerResponse::Unhandled;
                res.status = 403;
                res.set_content("forbidden\n", "text/plain; charset=utf-8");
                return httplib::Server::HandlerResponse::Handled;
            });
        server.new_task_queue = [workers = options.workers, waiting = options.max_waiting] {
            return new BoundedPool(workers, waiting);
        };
        server.set_socket_options(listening_socket_options);
        // The endpoints take no body: a request announcing one is refused (413)
        // before anything is read into memory.
        server.set_payload_max_length(0);
        server.set_keep_alive_max_count(1);
        // GET routes answer HEAD too (cpp-httplib sends the headers without the body).
        server.Get(".*", [handler = std::move(handler)](const httplib::Request& req,
                                                         httplib::Response& res) {
            Request request{req.method, req.path, NameValues(req.params.begin(), req.params.end()),
                            req.remote_addr};
            Reply reply = handler(request);
            res.status = reply.status;
            for (const auto& [name, value] : reply.headers) res.set_header(name, value);
            res.set_content(std::move(reply.body), reply.content_type.c_str());
        });
        if (!server.bind_to_port(options.address, options.port)) return false;
        thread_ = std::thread([&server] {
            // Signals are the main loop's business.
            sigset_t all;
            sigfillset(&all);
            pthread_sigmask(SIG_BLOCK, &all, nullptr);
            server.listen_after_bind();
        });
        return true;
    }

    void stop() override {
        if (!thread_.joinable()) return;
        server_->stop();
        thread_.join();
    }

private:
    std::unique_ptr<GuardedServer> server_;
    std::thread thread_;
};

}  // namespace

std::unique_ptr<Server> make_library_server() { return std::make_unique<LibraryServer>(); }

}  // namespace repmgr::http
