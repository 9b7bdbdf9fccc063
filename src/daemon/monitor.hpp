#pragma once

#include <optional>
#include <string>

#include "actions/context.hpp"
#include "cluster/nodes.hpp"
#include "daemon/decide.hpp"
#include "daemon/links.hpp"
#include "daemon/options.hpp"
#include "daemon/process.hpp"

namespace repmgr::repmgrd {

// repmgrd's main loop: every tick observe -> decide -> act, then sleep until
// the next tick or a signal. One process, one thread, connections kept open.
class Monitor {
public:
    Monitor(Context& ctx, DaemonOptions options);
    // Runs until SIGTERM/SIGINT; returns the exit code.
    int run();

private:
    enum class PrimaryVia { None, Local, Upstream, Own };

    Snapshot observe();
    void observe_local(Snapshot& s);
    void observe_upstream(Snapshot& s);
    void observe_primary(Snapshot& s);
    void act(const Snapshot& s, const Step& step);
    void run_action(const Snapshot& s, const Action& a);
    void log_step(const Step& step);
    void reload();
    void shutdown();

    Connection* primary();
    Link* primary_link();
    LinkSettings link_settings() const;
    Tuning tuning() const;

    Context& ctx_;
    DaemonOptions options_;
    SignalPipe signals_;
    Memory memory_;
    std::string last_reason_;

    Link local_;
    Link upstream_;
    Link primary_own_;  // when the primary is neither this node nor its upstream
    PrimaryVia primary_via_ = PrimaryVia::None;

    NodeRole role_ = NodeRole::Unknown;  // last known, kept while the local server is down
    std::optional<NodeRecord> upstream_record_;
    std::optional<NodeRecord> primary_record_;
    Positions positions_;
};

}  // namespace repmgr::repmgrd
