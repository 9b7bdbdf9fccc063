#pragma once

#include "actions/context.hpp"
#include "daemon/arbiter/arbiters.hpp"
#include "daemon/decide/decide.hpp"
#include "daemon/effects/effects.hpp"
#include "daemon/guard/guard.hpp"
#include "daemon/http/http_publish.hpp"
#include "daemon/lease_heartbeat.hpp"
#include "daemon/observe/observer.hpp"
#include "daemon/options.hpp"
#include "daemon/process.hpp"

namespace repmgr::repmgrd {

// repmgrd's main loop: every tick observe -> decide -> act, then sleep until
// the next tick or a signal. One process, one thread (plus the HTTP one when
// configured), connections kept open between ticks.
class Daemon {
public:
    Daemon(Context& ctx, DaemonOptions options);
    // Runs until SIGTERM/SIGINT; returns the exit code.
    int run();

private:
    Tuning tuning() const;
    // What ends the wait between ticks early, besides a signal.
    struct Watch {
        // Now: the connection to watch broke during the tick itself (a crash
        // while the effects used it): look again at once.
        enum class What { Nothing, Upstream, Local, CrashReport, Now } what = What::Nothing;
        Connection* conn = nullptr;  // Upstream, Local
        int fd = -1;
    };
    Watch what_to_watch(const Snapshot& s);
    // The watched socket is readable: true when that is worth a tick now.
    bool watched_event(const Watch& w, const Snapshot& s);
    void log_step(const Step& step);
    void reload();
    void shutdown();

    Context& ctx_;
    DaemonOptions options_;
    SignalPipe signals_;
    ServerLinks links_;
    Arbiters arbiters_;
    Observer observer_;
    Effects effects_;
    StatusPublisher publisher_;
    GuardFeeder guard_{ctx_};  // the heartbeat of the guard (guard_timeout)
    LeaseHeartbeat lease_{ctx_, links_};  // arbiter=etcd: the lease, the node list, failsafe
    Memory memory_;
    bool looked_now_ = false;  // the current tick was a Watch::What::Now one (never twice in a row)
};

}  // namespace repmgr::repmgrd
