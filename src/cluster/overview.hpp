#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cluster/history.hpp"
#include "db/connection.hpp"

namespace repmgr {

// What repmgrd's status page shows beyond its own tick: every repmgrd's last
// report, the newest events and the standbys streaming from this server. Read
// by the daemon thread in one statement per tick, only while HTTP is on.

struct EventRecord {
    int node_id = 0;
    std::string event;
    bool successful = true;
    std::string time;  // UTC, ISO 8601
    std::string details;
};

// A walsender of this server, as pg_stat_replication shows it.
struct DownstreamStandby {
    std::string application_name;
    std::string state;
    std::string sync_state;
    std::optional<std::int64_t> lag_bytes;  // this server's position - its replay position
    std::optional<double> lag_seconds;      // replay_lag
};

struct ClusterOverview {
    std::vector<DaemonRow> daemons;  // repl_daemon, as "repmgr daemon status" reads it
    std::vector<EventRecord> events;  // newest first
    std::vector<DownstreamStandby> downstream;
};

// On the local server (a standby's copy of the metadata is what this node
// sees); the search_path must point at the metadata schema.
ClusterOverview read_cluster_overview(Connection& conn, int max_events);

}  // namespace repmgr
