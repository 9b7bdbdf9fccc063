#pragma once

// "repmgr standby switchover": what the checks establish before anything is
// changed, and the helpers that act on the old primary's host over ssh.

#include <optional>
#include <string>
#include <vector>

#include "actions/context.hpp"
#include "actions/switchover_plan.hpp"
#include "cluster/nodes.hpp"
#include "cluster/topology.hpp"
#include "pg/rewind.hpp"
#include "pg/ssh.hpp"

namespace repmgr {

// The old primary, as seen over ssh on its host.
class RemotePrimary {
public:
    RemotePrimary(Context& ctx, NodeRecord node, std::string data_directory);

    const NodeRecord& node() const { return node_; }
    const RemoteShell& shell() const { return shell_; }
    std::string stop_command() const;
    std::string start_command() const;
    ProcessResult stop() const { return shell_.run_command_line(stop_command()); }
    ProcessResult start() const { return shell_.run_command_line(start_command()); }
    std::optional<ControlData> control_data() const;
    // Polls pg_controldata until the server has shut down (a service command
    // may return before the postmaster is gone).
    std::optional<ControlData> wait_shut_down(int timeout_s) const;

private:
    Context& ctx_;
    NodeRecord node_;
    std::string data_directory_;
    RemoteShell shell_;
};

// Pauses every repmgrd for the length of the switchover, so that none of them
// takes the stopped primary for a failure; on the way out (success or not)
// unpauses the ones it paused, through whichever node is writable then.
class DaemonPause {
public:
    DaemonPause(Context& ctx, Connection& primary, std::vector<std::string> conninfos);
    ~DaemonPause();
    DaemonPause(const DaemonPause&) = delete;
    DaemonPause& operator=(const DaemonPause&) = delete;

private:
    Context& ctx_;
    std::vector<std::string> conninfos_;
    std::vector<int> paused_;
};

// Everything execute needs; established by checks that change nothing.
struct SwitchoverChecked {
    explicit SwitchoverChecked(Connection l) : local(std::move(l)) {}
    bool nothing_to_do = false;  // this node is already the recorded primary
    Connection local;
    std::optional<PrimaryConnection> primary;
    std::optional<RemotePrimary> remote;
    std::vector<NodeRecord> siblings;
    std::string data_directory;
    std::vector<std::string> rejoin_argv;  // run on the old primary's host
    SwitchoverFacts facts;                 // what the plan is built from
};

// Runs every check (this node a caught-up standby of the running primary,
// ssh and the remote repmgr and its repmgr.conf, siblings' hosts with
// --siblings-follow). Failure with the exit code and a HINT for each problem.
SwitchoverChecked check_switchover(Context& ctx);

}  // namespace repmgr
