#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace repmgr::repmgrd {

using Clock = std::chrono::steady_clock;  // intervals never follow wall-clock jumps

enum class NodeRole { Unknown, Primary, Standby, Witness };

// One server as seen during this tick.
struct ServerView {
    bool reachable = false;
    bool in_recovery = false;
    std::string error;  // why it is unreachable
};

// LSN positions for a monitoring history row (text as PostgreSQL prints them).
struct Positions {
    std::optional<std::string> primary_lsn;   // the primary's current WAL position
    std::optional<std::string> received_lsn;  // this standby's last received
    std::optional<std::string> replayed_lsn;  // this standby's last replayed
};

// The settings decide() needs, copied from the (reloadable) configuration.
struct Tuning {
    int monitor_interval_secs = 2;
    int reconnect_attempts = 3;
    int reconnect_interval = 2;
    int witness_sync_interval = 15;
    bool monitoring_history = false;
    bool automatic_failover = false;
};

// One immutable picture of what this tick saw; built by observe(), consumed
// by the pure decide(). Unit tests fabricate them.
struct Snapshot {
    Clock::time_point at{};
    int node_id = 0;
    NodeRole role = NodeRole::Unknown;  // from this node's record; Unknown while unread
    ServerView local;
    std::optional<int> upstream_id;     // standby: the node it streams from
    ServerView upstream;                // meaningful only with upstream_id
    bool primary_writable = false;      // a connection to the writable primary exists
    bool paused = false;                // "repmgr daemon pause" is in effect
    Positions positions;
    // primary only: registered standbys that should stream from it, and the
    // application_names streaming now (pg_stat_replication)
    std::vector<std::string> expected_standbys;
    std::vector<std::string> attached_standbys;
    Tuning tuning;
};

}  // namespace repmgr::repmgrd
