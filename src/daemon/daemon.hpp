#pragma once

#include "actions/context.hpp"
#include "daemon/arbiter/arbiters.hpp"
#include "daemon/decide/decide.hpp"
#include "daemon/effects/effects.hpp"
#include "daemon/http/http_publish.hpp"
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
    // The upstream connection whose closing ends the wait between ticks.
    Connection* upstream_to_watch();
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
    Memory memory_;
};

}  // namespace repmgr::repmgrd
