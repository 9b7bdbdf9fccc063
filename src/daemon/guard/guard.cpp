// The guard's loop (repmgrd --guard): see guard.hpp.
#include "daemon/guard/guard.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <thread>

#include <fmt/format.h>

#include "cluster/arbiter.hpp"
#include "cluster/nodes.hpp"
#include "cluster/replication.hpp"
#include "daemon/decide/fence_demote.hpp"
#include "daemon/effects/demote.hpp"
#include "daemon/observe/links.hpp"
#include "daemon/observe/probe.hpp"
#include "pg/datadir.hpp"

namespace repmgr::repmgrd {
namespace {

using Steady = std::chrono::steady_clock;

// How long the guard waits for a stopped server to come back while repmgrd
// is silent too, before it concludes there is nothing left to guard.
constexpr auto kGuardServerDownLimit = std::chrono::seconds(60);

// Seconds since the heartbeat file was last touched; nullopt when it is gone.
std::optional<double> heartbeat_age(const std::string& path) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) return std::nullopt;
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    return static_cast<double>(now.tv_sec - st.st_mtim.tv_sec) +
           static_cast<double>(now.tv_nsec - st.st_mtim.tv_nsec) / 1e9;
}

struct LocalState {
    bool writable = false;
    bool fenced = false;
    int timeline = 0;
};

LocalState read_local(Connection& c) {
    LocalState l;
    l.writable = !c.one_row("SELECT pg_is_in_recovery() AS r").boolean("r");
    if (l.writable) {
        l.fenced = read_only_fence_on(c);
        l.timeline = primary_timeline(c);
    }
    return l;
}

// What this primary sees of the others, as its repmgrd counts them
// (observe_primary_peers): a majority, and a primary on a later timeline.
void look_around(Context& ctx, Connection& local, int own_timeline, GuardInput& in) {
    use_metadata_schema(local, schema_name(ctx.config));
    PeerPool once;
    PeerTally peers = probe_peers(once, NodeRepository(local).all(), ctx.config.node_id, ctx.config);
    ctx.log.info("guard: {} of {} standby/witness node(s) answer", peers.visible, peers.total);
    in.majority = sees_majority(peers.visible, peers.total);
    if (peers.primary_id != 0 && peers.primary_timeline > own_timeline) {
        in.newer_primary_id = peers.primary_id;
        in.newer_primary_timeline = peers.primary_timeline;
    }
}

volatile std::sig_atomic_t g_stop = 0;
void on_stop(int) { g_stop = 1; }

}  // namespace

int run_guard(Context& ctx) {
    const Config& c = ctx.config;
    if (c.data_directory.empty() || c.guard_timeout <= 0) {
        ctx.log.error("guard: needs data_directory and guard_timeout > 0 in repmgr.conf");
        return 1;
    }
    std::string path = guard_heartbeat_path(c.data_directory);
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    bool locked = false;
    // repmgrd takes the lock for a moment on each tick to see whether a guard holds it.
    for (int i = 0; fd >= 0 && i < 20 && !locked; ++i) {
        locked = flock(fd, LOCK_EX | LOCK_NB) == 0;
        if (!locked) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!locked) {
        ctx.log.info("guard: another guard holds \"{}\": exiting", path);
        return 0;
    }
    std::signal(SIGTERM, on_stop);
    std::signal(SIGINT, on_stop);
    ctx.log.notice("guard (pid {}) watching node {}: fences and demotes it when repmgrd has been "
                   "silent for {} s and it sees no majority",
                   getpid(), c.node_id, c.guard_timeout);
    std::optional<Steady::time_point> fenced_since;
    std::optional<Steady::time_point> down_since;
    std::string last_reason;
    while (!g_stop) {
        std::this_thread::sleep_for(std::chrono::seconds(1));
        std::optional<double> age = heartbeat_age(path);
        if (!age) {
            ctx.log.notice("guard: \"{}\" is gone: exiting", path);
            return 0;
        }
        // Nothing to guard: no server and nobody feeding (repmgrd and the
        // server stopped, a test torn down). Not at once: a hung repmgrd does
        // not feed either, and a server restarted (after a crash, by a DBA)
        // may come back as a primary that must be fenced.
        if (postmaster_state(c.data_directory) != PostmasterState::Running &&
            *age > c.guard_timeout) {
            if (!down_since) down_since = Steady::now();
            if (Steady::now() - *down_since > kGuardServerDownLimit) {
                ctx.log.notice("guard: the server is down and repmgrd silent: exiting");
                return 0;
            }
            continue;
        }
        down_since.reset();
        GuardInput in;
        in.heartbeat_age_s = *age;
        in.guard_timeout_s = c.guard_timeout;
        in.fence_demote_timeout_s = c.fence_demote_timeout;
        in.local_writable = true;  // until asked: Idle needs no connection
        GuardVerdict v = guard_decide(in);
        if (v.kind == GuardVerdict::Kind::Idle) {
            fenced_since.reset();
            continue;
        }
        try {
            std::optional<Connection> local;
            local.emplace(Connection::open(c.conninfo, 2));
            LocalState l = read_local(*local);
            if (!l.writable) {
                // A standby (demoted, rejoined, never promoted): nothing to
                // guard. repmgrd starts a guard again once it runs a primary.
                ctx.log.notice("guard: the local server is in recovery: exiting");
                return 0;
            }
            in.local_writable = l.writable;
            in.local_fenced = l.fenced;
            if (l.fenced && !fenced_since) fenced_since = Steady::now();
            if (!l.fenced) fenced_since.reset();
            if (fenced_since)
                in.fenced_for_s =
                    std::chrono::duration<double>(Steady::now() - *fenced_since).count();
            v = guard_decide(in);
            if (v.kind == GuardVerdict::Kind::CheckMajority) {
                look_around(ctx, *local, l.timeline, in);
                v = guard_decide(in);
            }
            if (v.reason != last_reason) ctx.log.notice("{}", v.reason);
            last_reason = v.reason;
            switch (v.kind) {
                case GuardVerdict::Kind::Fence:
                    set_read_only_fence(*local, true);
                    fenced_since = Steady::now();
                    ctx.record(nullptr, "repmgrd_guard_fence", true, v.reason);
                    break;
                case GuardVerdict::Kind::Demote: {
                    local.reset();
                    std::string why;
                    bool ok = demote_local_server(c, ctx.log, c.data_directory, l.timeline, why);
                    ctx.record(nullptr, "repmgrd_isolation_fence_demote", ok,
                               ok ? v.reason : v.reason + ": " + why);
                    fenced_since.reset();
                    break;
                }
                default:
                    break;
            }
        } catch (const Failure& f) {
            ctx.log.warning("guard: {}", failure_text(f));
        }
    }
    ctx.log.notice("guard: stopped by a signal");
    return 0;
}

}  // namespace repmgr::repmgrd
