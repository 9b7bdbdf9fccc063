#include "db/probe.hpp"

#include <poll.h>

#include <cerrno>
#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "config/conninfo.hpp"
#include "util/text.hpp"

namespace repmgr {
namespace {

struct Pending {
    PGconn* conn = nullptr;
    std::chrono::steady_clock::time_point deadline;
    PostgresPollingStatusType want = PGRES_POLLING_WRITING;
    bool done = false;
};

}  // namespace

std::vector<ProbeResult> connect_all(const std::vector<std::string>& conninfos, int timeout_s) {
    using Clock = std::chrono::steady_clock;
    std::vector<ProbeResult> results(conninfos.size());
    std::vector<Pending> pending(conninfos.size());

    for (size_t i = 0; i < conninfos.size(); ++i) {
        std::string full;
        try {
            full = connect_conninfo(conninfos[i], timeout_s);
        } catch (const Failure& f) {
            results[i].error = f.detail();
            pending[i].done = true;
            continue;
        }
        // Each node gets the connect_timeout its own conninfo asks for.
        int seconds = timeout_s;
        if (auto t = Conninfo::parse(full).get("connect_timeout")) seconds = std::max(1, std::atoi(t->c_str()));
        pending[i].deadline = Clock::now() + std::chrono::seconds(seconds);
        pending[i].conn = PQconnectStart(full.c_str());
        if (!pending[i].conn || PQstatus(pending[i].conn) == CONNECTION_BAD) {
            results[i].error = pending[i].conn ? trim_trailing(PQerrorMessage(pending[i].conn)) : "out of memory";
            if (pending[i].conn) PQfinish(pending[i].conn);
            pending[i].conn = nullptr;
            pending[i].done = true;
        }
    }

    for (;;) {
        std::vector<pollfd> fds;
        std::vector<size_t> owners;
        auto now = Clock::now();
        auto deadline = now + std::chrono::hours(1);
        for (size_t i = 0; i < pending.size(); ++i) {
            if (pending[i].done) continue;
            if (pending[i].deadline <= now) {
                results[i].error = "timeout expired";
                PQfinish(pending[i].conn);
                pending[i].conn = nullptr;
                pending[i].done = true;
                continue;
            }
            deadline = std::min(deadline, pending[i].deadline);
            short events = pending[i].want == PGRES_POLLING_READING ? POLLIN : POLLOUT;
            fds.push_back({PQsocket(pending[i].conn), events, 0});
            owners.push_back(i);
        }
        if (fds.empty()) break;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
        int n = poll(fds.data(), fds.size(), static_cast<int>(std::max<long long>(1, left.count() + 1)));
        if (n < 0 && errno != EINTR) break;
        for (size_t k = 0; k < fds.size(); ++k) {
            if (fds[k].revents == 0) continue;
            auto& p = pending[owners[k]];
            p.want = PQconnectPoll(p.conn);
            if (p.want == PGRES_POLLING_OK) {
                PQsetNoticeProcessor(p.conn, [](void*, const char*) {}, nullptr);
                results[owners[k]].connection.emplace(p.conn);
                // A node that connected and then froze must not hang the caller's queries.
                results[owners[k]].connection->set_query_timeout(
                    std::chrono::seconds(std::max(1, timeout_s)));
                p.conn = nullptr;
                p.done = true;
            } else if (p.want == PGRES_POLLING_FAILED) {
                results[owners[k]].error = trim_trailing(PQerrorMessage(p.conn));
                PQfinish(p.conn);
                p.conn = nullptr;
                p.done = true;
            }
        }
    }
    return results;
}

}  // namespace repmgr
