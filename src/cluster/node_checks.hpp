#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cluster/events.hpp"
#include "cluster/nodes.hpp"
#include "cluster/replication.hpp"
#include "db/connection.hpp"

namespace repmgr {

// What one server says about itself, for "node status" and "node check". All
// SQL on server state for these commands lives in node_checks.cpp; LSNs,
// timelines and replay positions come from replication.hpp.

struct SlotFacts {
    std::string name;
    std::string type;  // physical | logical
    bool active = false;
    std::optional<long long> retained_bytes;  // WAL kept for it (nullopt: no restart_lsn)
};

struct ArchiveFacts {
    std::string archive_mode;     // off | on | always
    std::string archive_command;  // "" when unset
    long long archived_count = 0;
    long long failed_count = 0;
    std::string last_archived_wal;
    std::string last_failed_wal;
    std::string last_failed_time;
    // Files waiting in pg_wal/archive_status (*.ready); nullopt when this
    // user may not list the directory (needs superuser or pg_monitor).
    std::optional<long long> ready_count;
    std::string ready_error;
};

struct WalReceiverFacts {
    std::string status;  // streaming | starting | waiting | stopping | ...
    std::string sender_host;
    std::optional<int> sender_port;
    std::string slot_name;
};
// This server's WAL receiver, when it has one.
std::optional<WalReceiverFacts> read_wal_receiver(Connection& conn);

// One walsender on this server (a standby streaming from it).
struct DownstreamFacts {
    std::string application_name;
    std::string client_addr;
    std::string state;
    std::optional<long long> replay_lag_bytes;
    std::string sync_state;  // pg_stat_replication.sync_state: sync, potential, quorum, async
};

struct NodeServerFacts {
    std::string version;  // "15.4"
    bool in_recovery = false;
    int timeline = 0;
    Lsn current_lsn = 0;  // primary: flush LSN; standby: the later of receive and replay
    ReplayState replay;   // standby only
    std::optional<double> lag_seconds;  // standby: 0 when all received WAL is replayed
    std::optional<WalReceiverFacts> wal_receiver;
    std::vector<SlotFacts> slots;
    ArchiveFacts archive;
    std::vector<DownstreamFacts> downstream;
    int max_wal_senders = 0;
    int max_replication_slots = 0;
    long long database_size_bytes = 0;
};

// Reads everything above from the server behind `conn` (any role).
NodeServerFacts read_node_server_facts(Connection& conn);

// The same node as the cluster's metadata (readable through `conn`, a
// standby's copy is fine) records it, its neighbours and its last event.
struct MetadataFacts {
    std::optional<NodeRecord> self;
    std::vector<NodeRecord> nodes;  // every registered node
    std::optional<EventRow> last_event;
    std::string error;  // why the metadata could not be read ("" = it was)
};

MetadataFacts read_metadata_facts(Connection& conn, const std::string& schema, int node_id);

// The node this one should stream from: its recorded upstream, else the
// active primary (nullopt for a primary or when nothing is recorded).
std::optional<NodeRecord> expected_upstream(const MetadataFacts& meta);

// Registered active standbys that should stream from `node_id`.
std::vector<NodeRecord> expected_downstream(const MetadataFacts& meta, int node_id);

// What the upstream says about this standby, read over a short connection.
struct UpstreamFacts {
    NodeRecord node;
    bool reachable = false;
    std::string error;
    bool streams_to_us = false;  // a walsender with our application_name is streaming
    std::optional<Lsn> lsn;      // the upstream's own WAL end
};

UpstreamFacts read_upstream_facts(const NodeRecord& upstream, const std::string& application_name,
                                  int timeout_s);

}  // namespace repmgr
