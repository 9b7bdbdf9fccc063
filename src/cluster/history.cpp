#include "cluster/history.hpp"

#include "cluster/arbiter.hpp"
#include "cluster/nodes.hpp"
#include "cluster/replication.hpp"

namespace repmgr {

void set_statement_timeout(Connection& conn, int milliseconds) {
    conn.exec("SELECT set_config('statement_timeout', $1, false)", std::to_string(milliseconds));
}

ServerPosition read_server_position(Connection& conn) {
    Row r = conn.one_row(
        std::string("SELECT pg_is_in_recovery() AS in_recovery, "
                    "CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text "
                    "END AS current, pg_last_wal_receive_lsn()::text AS received, "
                    "pg_last_wal_replay_lsn()::text AS replayed, ") +
        kReadOnlyFenceInForceSql + " AS fenced");
    return ServerPosition{r.boolean("in_recovery"), r.opt_text("current"), r.opt_text("received"),
                          r.opt_text("replayed"), r.boolean("fenced")};
}

std::vector<std::string> read_attached_standbys(Connection& conn) {
    std::vector<std::string> out;
    for (const auto& row : conn.exec("SELECT application_name FROM pg_stat_replication "
                                     "WHERE state = 'streaming' ORDER BY 1")
                               .all())
        out.push_back(row.text("application_name"));
    return out;
}

std::vector<std::string> registered_standbys_of(Connection& conn, int upstream_id,
                                                bool upstream_is_primary) {
    // A standby without upstream_node_id streams from the primary.
    std::vector<std::string> out;
    for (const auto& row :
         conn.exec("SELECT name FROM repl_nodes WHERE type = 'standby' AND active "
                   "AND (upstream_node_id = $1 OR (upstream_node_id IS NULL AND $2)) ORDER BY id",
                   upstream_id, upstream_is_primary)
             .all())
        out.push_back(row.text("name"));
    return out;
}

void read_apply_delay(Connection& standby, MonitorSample& sample) {
    ReplayDelay d = replay_delay(standby);
    sample.last_apply_time = d.last_replay_time;
    sample.apply_lag_seconds = d.lag_seconds.value_or(0);  // nothing replayed yet: no lag to report
}

void insert_monitor_row(Connection& primary, const MonitorSample& s) {
    // Without a WAL receiver (archive recovery) the replayed position is the
    // best "received" figure there is.
    primary.exec(
        "INSERT INTO repl_monitor (primary_node, standby_node, last_monitor_time, "
        "last_apply_time, last_wal_primary_location, last_wal_standby_location, "
        "last_wal_standby_replayed, replication_lag, apply_lag, apply_lag_seconds) "
        "SELECT $1::int, $2::int, now(), $3::timestamptz, p, r, a, "
        "greatest(pg_wal_lsn_diff(p, r), 0)::bigint, greatest(pg_wal_lsn_diff(r, a), 0)::bigint, $7::float8 "
        "FROM (SELECT $4::pg_lsn AS p, COALESCE($5::pg_lsn, $6::pg_lsn) AS r, $6::pg_lsn AS a) AS v",
        s.primary_node, s.standby_node, s.last_apply_time, s.primary_lsn, s.received_lsn,
        s.replayed_lsn, std::to_string(s.apply_lag_seconds));
}

bool daemon_table_exists(Connection& conn) {
    return conn.one_row("SELECT to_regclass('repl_daemon') IS NOT NULL AS e").boolean("e");
}

void daemon_heartbeat(Connection& primary, int node_id, int pid, int interval_secs,
                      const std::string& state, const std::string& reason) {
    try {
        primary.exec(
            "INSERT INTO repl_daemon (node_id, pid, interval_secs, started_at, last_seen, state, "
            "  reason) "
            "VALUES ($1, $2, $3, now(), now(), $4, $5) "
            "ON CONFLICT (node_id) DO UPDATE SET pid = EXCLUDED.pid, "
            "interval_secs = EXCLUDED.interval_secs, last_seen = now(), "
            "state = EXCLUDED.state, reason = EXCLUDED.reason, "
            "started_at = CASE WHEN repl_daemon.pid IS DISTINCT FROM EXCLUDED.pid "
            "                    OR repl_daemon.started_at IS NULL "
            "                  THEN now() ELSE repl_daemon.started_at END",
            node_id, pid, interval_secs, state, reason);
        return;
    } catch (const DbError& e) {
        if (e.sqlstate() != "42703") throw;  // undefined_column: a schema before version 5
    }
    primary.exec(
        "INSERT INTO repl_daemon (node_id, pid, interval_secs, started_at, last_seen) "
        "VALUES ($1, $2, $3, now(), now()) "
        "ON CONFLICT (node_id) DO UPDATE SET pid = EXCLUDED.pid, "
        "interval_secs = EXCLUDED.interval_secs, last_seen = now(), "
        "started_at = CASE WHEN repl_daemon.pid IS DISTINCT FROM EXCLUDED.pid "
        "                    OR repl_daemon.started_at IS NULL "
        "                  THEN now() ELSE repl_daemon.started_at END",
        node_id, pid, interval_secs);
}

void daemon_stopped(Connection& primary, int node_id, int pid) {
    primary.exec("UPDATE repl_daemon SET pid = NULL, last_seen = now() "
                 "WHERE node_id = $1 AND pid = $2",
                 node_id, pid);
}

bool daemon_paused(Connection& conn, int node_id) {
    auto row = conn.opt_row("SELECT paused FROM repl_daemon WHERE node_id = $1", node_id);
    return row && row->boolean("paused");
}

std::vector<DaemonRow> daemon_rows(Connection& conn) {
    std::vector<DaemonRow> out;
    for (const auto& r :
         conn.exec("SELECT node_id, pid, paused, interval_secs, "
                   "to_char(started_at, 'YYYY-MM-DD HH24:MI:SS') AS started_at, "
                   "to_char(last_seen, 'YYYY-MM-DD HH24:MI:SS') AS last_seen, "
                   "extract(epoch FROM now() - last_seen)::float8 AS since, "
                   // to_jsonb: NULL rather than an error on a schema before version 5
                   "to_jsonb(d) ->> 'state' AS state, to_jsonb(d) ->> 'reason' AS reason "
                   "FROM repl_daemon AS d ORDER BY node_id")
             .all()) {
        DaemonRow d;
        d.node_id = static_cast<int>(r.integer("node_id"));
        if (auto pid = r.opt_int("pid")) d.pid = static_cast<int>(*pid);
        d.paused = r.boolean("paused");
        if (auto i = r.opt_int("interval_secs")) d.interval_secs = static_cast<int>(*i);
        d.started_at = r.opt_text("started_at");
        d.last_seen = r.opt_text("last_seen");
        if (auto s = r.opt_text("since")) d.seconds_since_seen = std::stod(*s);
        d.state = r.opt_text("state");
        d.reason = r.opt_text("reason");
        out.push_back(std::move(d));
    }
    return out;
}

std::vector<int> set_daemon_paused(Connection& primary, bool paused) {
    // A primary fenced read-only by repmgrd (isolation, or a fence left in
    // its configuration) is still where the flags live, and a DBA may need to
    // unpause exactly then: the fence is aimed at application writes, not at
    // this metadata, so this session (and the event row written through it
    // afterwards) opts out of the read-only default.
    primary.exec_script("SET SESSION default_transaction_read_only = off");
    // Pausing creates rows for nodes whose repmgrd never ran, so the flag
    // holds when it starts; unpausing only clears flags that are set.
    Result r = paused ? primary.exec(
                            "INSERT INTO repl_daemon (node_id, paused) SELECT id, true FROM repl_nodes "
                            "ON CONFLICT (node_id) DO UPDATE SET paused = true "
                            "WHERE NOT repl_daemon.paused RETURNING node_id")
                      : primary.exec("UPDATE repl_daemon SET paused = false WHERE paused "
                                     "RETURNING node_id");
    std::vector<int> out;
    for (const auto& row : r.all()) out.push_back(static_cast<int>(row.integer("node_id")));
    return out;
}

void unpause_daemons(Connection& primary, const std::vector<int>& node_ids) {
    std::string ids = "{";
    for (size_t i = 0; i < node_ids.size(); ++i) ids += (i ? "," : "") + std::to_string(node_ids[i]);
    ids += "}";
    primary.exec("UPDATE repl_daemon SET paused = false WHERE node_id = ANY($1::int[])", ids);
}

}  // namespace repmgr
