#pragma once

#include <optional>
#include <string>
#include <vector>

#include "db/connection.hpp"

namespace repmgr {

// SQL for repmgrd's monitoring: server positions, repl_monitor history and the
// repl_daemon status rows. Metadata functions expect the search_path to point
// at the cluster schema (use_metadata_schema).

// Every monitoring query must end in bounded time, also on a server that
// hangs: sets statement_timeout for the session.
void set_statement_timeout(Connection& conn, int milliseconds);

// What a server says about its own WAL position.
struct ServerPosition {
    bool in_recovery = false;
    std::optional<std::string> current_lsn;   // primary: pg_current_wal_lsn()
    std::optional<std::string> received_lsn;  // standby: pg_last_wal_receive_lsn()
    std::optional<std::string> replayed_lsn;  // standby: pg_last_wal_replay_lsn()
    bool read_only_fenced = false;            // default_transaction_read_only in its config
};
ServerPosition read_server_position(Connection& conn);

// application_name of every walsender streaming from this server.
std::vector<std::string> read_attached_standbys(Connection& conn);
// Names of the active standbys registered with `upstream_id` as upstream.
std::vector<std::string> registered_standbys_of(Connection& conn, int upstream_id,
                                                bool upstream_is_primary);

// One repl_monitor row, written on the primary. Lags are computed by the
// primary from the positions; the apply lag in seconds from the standby's
// last replayed transaction (0 when everything received is replayed).
struct MonitorSample {
    int primary_node = 0;
    int standby_node = 0;
    std::string primary_lsn;
    std::optional<std::string> received_lsn;
    std::string replayed_lsn;
    std::optional<std::string> last_apply_time;  // pg_last_xact_replay_timestamp(), as text
    double apply_lag_seconds = 0;
};
// Reads last_apply_time and apply_lag_seconds from the standby itself.
void read_apply_delay(Connection& standby, MonitorSample& sample);
void insert_monitor_row(Connection& primary, const MonitorSample& sample);

// repl_daemon: one row per node, kept on the primary.
struct DaemonRow {
    int node_id = 0;
    std::optional<int> pid;           // NULL when repmgrd stopped cleanly (or never ran)
    bool paused = false;
    std::optional<int> interval_secs;
    std::optional<std::string> started_at;
    std::optional<std::string> last_seen;
    std::optional<double> seconds_since_seen;
    std::optional<std::string> state;   // repmgrd's state at its last report (schema 5)
    std::optional<std::string> reason;  // and the sentence of its decision then
};
bool daemon_table_exists(Connection& conn);
// Upserts this node's row: pid, interval, state and reason, last_seen =
// now(); started_at is reset when the pid changes (a new repmgrd). A schema
// older than version 5 gets the row without state and reason.
void daemon_heartbeat(Connection& primary, int node_id, int pid, int interval_secs,
                      const std::string& state, const std::string& reason);
// Clears the pid: repmgrd stopped cleanly.
void daemon_stopped(Connection& primary, int node_id, int pid);
bool daemon_paused(Connection& conn, int node_id);
std::vector<DaemonRow> daemon_rows(Connection& conn);
// Sets the pause flag for every registered node (creating rows as needed, so
// the flag holds for a repmgrd not started yet); returns the nodes changed.
std::vector<int> set_daemon_paused(Connection& primary, bool paused);
// Clears the pause flag of these nodes only (what an operation paused itself).
void unpause_daemons(Connection& primary, const std::vector<int>& node_ids);

}  // namespace repmgr
