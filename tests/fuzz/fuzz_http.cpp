// libFuzzer target: repmgrd's HTTP endpoints, on arbitrary bytes.
//  - The whole server (daemon/http, cpp-httplib's parser behind our
//    DeadlineStream and worker pool) gets the bytes as one request over a real
//    loopback connection: it answers with an HTTP status line or closes,
//    always within its connection deadline, and no answer ever carries the
//    password of a libpq message.
//  - The pure router (answer_request) gets a fuzzed path, query and status
//    text: it never throws, /status and /status/cluster are always valid
//    JSON, and the password stays masked whatever surrounds it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "daemon/http/http_server.hpp"
#include "daemon/http/http_status.hpp"

using namespace repmgr;
using namespace repmgr::repmgrd;

namespace {

constexpr const char* kSecret = "FuzzSecret42";
// The server's own deadline is 3 s; far more than that means a held
// connection, not a busy machine. (scripts/fuzz gives an input 30 s.)
constexpr int kGiveUpMs = 25000;

[[noreturn]] void broken(const std::string& why, const std::string& input) {
    std::fprintf(stderr, "invariant broken: %s\ninput: [%s]\n", why.c_str(), input.c_str());
    std::abort();
}

DaemonStatus status_with(const std::string& text) {
    DaemonStatus s;
    s.node_id = 2;
    s.node_name = text;
    s.role = "standby";
    s.local_reachable = false;
    s.local_error = std::string("connection to server failed: host=db password=") + kSecret;
    s.not_legitimate_because = text + " conninfo 'password=" + kSecret + "'";
    s.reason = text;
    s.upstream_name = text;
    s.last_events.push_back({text, false, "password=" + std::string(kSecret), {}});
    ClusterNodeStatus n;
    n.node_id = 2;
    n.name = text;
    n.role = text;
    n.daemon_reason = text + " password=" + kSecret;
    n.notes = {text, "password=" + std::string(kSecret)};
    s.cluster.nodes = {n};
    s.cluster.events = {ClusterEventStatus{2, text, text, false, text,
                                           text + " password=" + kSecret}};
    s.cluster.overview_error = "password=" + std::string(kSecret);
    return s;
}

int free_port() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        std::abort();
    int port = ntohs(a.sin_port);
    close(fd);
    return port;
}

struct LiveServer {
    StatusBoard board;
    std::unique_ptr<HttpServer> server;
    int port = 0;
};

LiveServer& live_server() {
    static LiveServer* live = [] {
        auto* l = new LiveServer;
        l->board.publish(status_with("node2"));
        l->port = free_port();
        l->server = std::make_unique<HttpServer>(l->board);
        l->server->start(HttpSettings{"127.0.0.1", l->port, {}, {}, {}});
        return l;
    }();
    return *live;
}

// Sends `request`, closes our sending side, reads the answer to the end.
std::string exchange(int port, const std::string& request, const std::string& input) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    for (int attempt = 0; connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0; ++attempt) {
        if (attempt == 100) broken("the server does not accept connections", input);
        usleep(10000);
    }
    (void)!send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    shutdown(fd, SHUT_WR);
    std::string answer;
    auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(kGiveUpMs);
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            give_up - std::chrono::steady_clock::now());
        pollfd p{fd, POLLIN, 0};
        int ready = left.count() <= 0 ? 0 : poll(&p, 1, static_cast<int>(left.count()));
        // libFuzzer's -timeout watchdog is a SIGALRM every few seconds: an
        // interrupted wait is no answer either way (taken for one, it broke
        // long runs with the server idle and the answer already in).
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) broken("the server held a connection past its deadline", input);
        char buf[4096];
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        answer.append(buf, static_cast<size_t>(n));
    }
    // Close with a reset: hundreds of exchanges a second would otherwise fill
    // the port range with TIME-WAIT sockets, and a new connection landing on
    // one waits for SYN retransmits (that once looked like a held connection).
    linger reset{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    close(fd);
    return answer;
}

void check_server(const std::string& input) {
    std::string answer = exchange(live_server().port, input, input);
    if (!answer.empty() && answer.rfind("HTTP/1.", 0) != 0)
        broken("an answer that is not HTTP: " + answer.substr(0, 80), input);
    if (answer.find(kSecret) != std::string::npos) broken("a password in an answer", input);
}

void check_router(const std::string& input) {
    // path \n query value \n status text
    auto first = input.find('\n');
    std::string path = input.substr(0, first);
    std::string rest = first == std::string::npos ? "" : input.substr(first + 1);
    auto second = rest.find('\n');
    QueryParams params{{"lag", rest.substr(0, second)}};
    std::string text = second == std::string::npos ? rest : rest.substr(second + 1);
    DaemonStatus status = status_with(text);
    auto now = std::chrono::system_clock::now();
    for (const std::string& p : {path, std::string("/status"), std::string("/health"),
                                 std::string("/replica"), std::string("/metrics"),
                                 std::string("/status/cluster")}) {
        HttpAnswer a;
        try {
            a = answer_request(p, params, &status, now);
        } catch (const std::exception& e) {
            broken(std::string("answer_request threw: ") + e.what(), input);
        }
        if (a.body.find(kSecret) != std::string::npos && input.find(kSecret) == std::string::npos)
            broken("a password in the answer to " + p, input);
        if ((p == "/status" || p == "/status/cluster") && a.status == 200 &&
            !nlohmann::json::accept(a.body))
            broken(p + " is not valid JSON", input);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string s(reinterpret_cast<const char*>(data), size);
    check_router(s);
    check_server(s);
    return 0;
}
