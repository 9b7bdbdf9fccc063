#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace repmgr::repmgrd {

// The cluster as this node's repmgrd sees it, for the status page (GET /,
// which reads GET /status/cluster): the metadata's nodes, corrected by what
// this node saw during its tick, every repmgrd's last reported decision and
// the newest events. Built by the daemon thread; plain data for the HTTP one.

struct ClusterNodeStatus {
    int node_id = 0;
    std::string name;
    std::string registered_role;  // primary | standby | witness, as repl_nodes has it
    std::string role;             // as this node sees it (registered_role when it cannot tell)
    bool active = true;
    int priority = 100;
    std::string location;
    std::optional<int> upstream_id;       // as repl_nodes has it
    std::optional<int> tree_upstream_id;  // where the page draws it: this node's view
    std::optional<bool> answers;          // nullopt: this node has no way to tell this tick
    std::string seen_via;                 // how this node knows (a few words)
    std::optional<std::int64_t> lag_bytes;
    std::optional<double> lag_seconds;
    std::string replication;  // "streaming (async)" from pg_stat_replication here, if any
    // Its repmgrd, as repl_daemon shows it ("repmgr daemon status")
    std::string daemon = "unknown";  // running | not running | not reporting | unknown
    std::optional<std::string> daemon_state;
    std::optional<std::string> daemon_reason;
    std::optional<double> daemon_report_age;  // seconds since its last report
    bool paused = false;
    std::vector<std::string> notes;  // where this node's view differs from the metadata
};

struct ClusterEventStatus {
    int node_id = 0;
    std::string node_name;
    std::string event;
    bool successful = true;
    std::string time;
    std::string details;
};

struct ClusterStatus {
    std::optional<int> primary_id;  // the primary as this node sees it
    std::vector<ClusterNodeStatus> nodes;
    std::vector<ClusterEventStatus> events;  // newest first
    std::string overview_error;  // why repmgrd reports and events could not be read this tick
};

}  // namespace repmgr::repmgrd
