#pragma once

// SQL for zero data loss (synchronous=on|strict, docs/failover.md "Zero data
// loss"): the recorded set of zero-loss candidates (repl_zero_loss, schema 8;
// on the primary, replicated to the standbys, and copied to the witness), and
// the primary's synchronous_standby_names and pg_stat_replication. Metadata
// functions expect the search_path on the cluster schema.

#include <optional>
#include <string>
#include <vector>

#include "db/connection.hpp"
#include "util/lsn.hpp"

namespace repmgr {

// The standbys that may have acknowledged a commit, as the primary
// `primary_node_id` recorded them. `version` grows with every write: of two
// copies the higher version is the newer.
struct ZeroLossRecord {
    std::vector<int> candidate_ids;  // sorted
    int primary_node_id = 0;
    long long version = 0;
};

// nullopt when nothing was recorded, or the schema predates version 8.
std::optional<ZeroLossRecord> read_zero_loss_record(Connection& conn);
// Writes `record` unless a copy with a higher version is there already.
// Committed locally only (synchronous_commit=local): a write that widens the
// set must never wait for the synchronous standby it is about to replace.
void write_zero_loss_record(Connection& conn, const ZeroLossRecord& record);
// Of two copies (a standby's replica and the witness's), the newer.
std::optional<ZeroLossRecord> newer_record(const std::optional<ZeroLossRecord>& a,
                                           const std::optional<ZeroLossRecord>& b);

// One walsender as pg_stat_replication shows it.
struct ReplicationRow {
    std::string application_name;
    std::string state;       // "streaming", "catchup", ...
    std::string sync_state;  // "sync", "potential", "quorum", "async"
    std::optional<Lsn> flush_lsn;
    std::optional<double> reply_age_s;  // seconds since reply_time
};
// When node `node_id`'s repmgrd last reported (repl_daemon.last_seen, as
// seconds since the epoch by the primary's clock), in this server's copy of
// the metadata: on a standby, the newest primary heartbeat it has received.
std::optional<double> read_heartbeat_epoch(Connection& conn, int node_id);

std::vector<ReplicationRow> read_replication_rows(Connection& primary);
std::string read_synchronous_standby_names(Connection& primary);
// ALTER SYSTEM + pg_reload_conf(); returns what SHOW says once the reload
// reached this session (or after ~2 s, whatever it says then).
std::string set_synchronous_standby_names(Connection& primary, const std::string& value);

}  // namespace repmgr
