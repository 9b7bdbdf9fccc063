#pragma once

// The guard (docs/failover.md, "The guard"; issue 21): a dead man's switch
// for a primary whose repmgrd has died or hangs. "repmgrd --guard" runs in a
// session of its own (a kill -9 of repmgrd, or a SIGSTOP, does not reach it),
// holds a lock on <data_directory>/repmgrd_guard (one guard per node) and
// watches that file's mtime, which repmgrd touches on every tick. Once the
// file is older than guard_timeout it looks for a majority itself and, seeing
// none, fences and demotes the primary exactly as repmgrd would
// (set_read_only_fence, demote_local_server).

#include <optional>
#include <string>

#include "actions/context.hpp"

namespace repmgr::repmgrd {

std::string guard_heartbeat_path(const std::string& data_directory);

// The guard's loop; returns its exit code.
int run_guard(Context& ctx);

// repmgrd's side: feeds the heartbeat and starts the guard when none runs.
class GuardFeeder {
public:
    explicit GuardFeeder(Context& ctx) : ctx_(ctx) {}
    // Once per tick. `registered_primary`: the metadata names this node the
    // primary (its server may be down: a guard that watches it must not take
    // a live repmgrd for a dead one); `running_primary`: this node's server
    // runs as a primary, and a guard is started when none runs.
    void feed(bool registered_primary, bool running_primary);

private:
    // The timing relation to the standbys, logged once (a WARNING when the
    // guard cannot act before a standby may promote).
    void log_timing();
    void start_guard(const std::string& data_directory);

    Context& ctx_;
    bool timing_logged_ = false;
};

}  // namespace repmgr::repmgrd
