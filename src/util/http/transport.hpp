#pragma once

// The HTTP transport: what repmgrd's endpoints and the etcd client need from
// an HTTP library, and nothing about repmgr. It is built as its own loadable
// module (repmgr-http.so, the only code linked with cpp-httplib), because
// merely loading cpp-httplib initialises OpenSSL and costs every process
// about 4 MB resident: repmgr and repmgrd load it (util/http_module.hpp) only
// when they serve HTTP or talk to etcd. Both sides use the same shared C++
// runtime, so C++ types and exceptions cross the boundary as usual.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace repmgr::http {

using NameValues = std::vector<std::pair<std::string, std::string>>;

struct Request {
    std::string method;
    std::string path;
    NameValues params;  // the query string, decoded
    std::string remote_addr;
};

struct Reply {
    int status = 200;
    std::string content_type;
    std::string body;
    NameValues headers;
};

struct ServerOptions {
    std::string address;
    int port = 0;
    std::string tls_cert;  // both set: HTTPS
    std::string tls_key;
    // One connection's cost: accept to last byte written, and the request
    // line plus headers (cpp-httplib's own timeouts are per read).
    std::chrono::milliseconds deadline{3000};
    std::size_t max_request_bytes = 16 * 1024;
    std::size_t workers = 4;       // a slow client holds one; /health gets another
    std::size_t max_waiting = 16;  // accepted connections waiting for a worker
};

// Serves GET and HEAD (HEAD: the headers of the GET answer) on a thread of its
// own, one request per connection, no request bodies (413). `allowed` is asked
// before anything is routed: a client it refuses gets 403 and nothing else.
// `handler` must not throw.
class Server {
public:
    virtual ~Server() = default;
    // A Failure (ExitCode::BadConfig) when the TLS files cannot be loaded;
    // false when the address cannot be bound.
    virtual bool start(const ServerOptions& options,
                       std::function<bool(const std::string& remote_addr)> allowed,
                       std::function<Reply(const Request&)> handler) = 0;
    virtual void stop() = 0;  // joins the thread; idempotent
};

struct ClientOptions {
    std::string base_url;  // http://host:port or https://host:port
    std::string cacert;    // https: CA file (empty: the system's)
    std::string cert;      // https: client certificate and key (both or neither)
    std::string key;
};

struct Post {
    std::string path;
    std::string body;
    std::string content_type;
    NameValues headers;
    int timeout_ms = 1000;  // connect, and each read and write
};

struct Answer {
    bool answered = false;         // false: transport error, see `error`
    bool surely_not_sent = false;  // not answered, and the request never left
    std::string error;
    int status = 0;
    std::string body;
};

// One server, its connection kept alive between posts. Not thread-safe.
class Client {
public:
    virtual ~Client() = default;
    virtual Answer post(const Post& request) = 0;
};

// What the module exports; abi_version changes with any change above.
struct ModuleApi {
    int abi_version;
    std::unique_ptr<Server> (*make_server)();
    std::unique_ptr<Client> (*make_client)(const ClientOptions& options);
};
inline constexpr int kModuleAbiVersion = 1;

}  // namespace repmgr::http

// The module's one entry point.
extern "C" const repmgr::http::ModuleApi* repmgr_http_module();
