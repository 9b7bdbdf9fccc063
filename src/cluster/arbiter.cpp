#include "cluster/arbiter.hpp"

#include "cluster/replication.hpp"

namespace repmgr {

int claim_failover_term(Connection& witness, int failed_primary_id, int timeline,
                        int candidate_id) {
    witness.exec(
        "INSERT INTO repl_failover_claim (failed_primary_id, primary_timeline, winner_node_id) "
        "VALUES ($1, $2, $3) ON CONFLICT (failed_primary_id, primary_timeline) DO NOTHING",
        failed_primary_id, timeline, candidate_id);
    auto winner = read_failover_claim(witness, failed_primary_id, timeline);
    // The row cannot vanish between the two statements (nobody deletes claims).
    return winner.value_or(0);
}

std::optional<int> read_failover_claim(Connection& witness, int failed_primary_id, int timeline) {
    auto row = witness.opt_row(
        "SELECT winner_node_id FROM repl_failover_claim "
        "WHERE failed_primary_id = $1 AND primary_timeline = $2",
        failed_primary_id, timeline);
    if (!row) return std::nullopt;
    return static_cast<int>(row->integer("winner_node_id"));
}

PeerState read_peer_state(Connection& conn, int fresh_within_s) {
    Row row = conn.one_row(
        "SELECT pg_is_in_recovery() AS in_recovery, "
        "  CASE WHEN pg_is_in_recovery() THEN "
        "    GREATEST(COALESCE(pg_last_wal_receive_lsn(), '0/0'), "
        "             COALESCE(pg_last_wal_replay_lsn(), '0/0'))::text END AS received, "
        "  EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming' "
        "          AND last_msg_receipt_time > now() - make_interval(secs => $1)) AS streaming, "
        "  CASE WHEN NOT pg_is_in_recovery() THEN "
        "    ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int "
        "  END AS timeline",
        fresh_within_s);
    PeerState p;
    p.in_recovery = row.boolean("in_recovery");
    if (auto lsn = row.opt_text("received")) p.received_lsn = parse_lsn(*lsn).value_or(0);
    p.streaming = row.boolean("streaming");
    if (!row.is_null("timeline")) p.timeline = static_cast<int>(row.integer("timeline"));
    return p;
}

int primary_timeline(Connection& primary) {
    return static_cast<int>(
        primary
            .one_row("SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))"
                     "::bit(32)::int AS tli")
            .integer("tli"));
}

int standby_timeline(Connection& standby) { return standby_position(standby).timeline; }

void set_read_only_fence(Connection& primary, bool on) {
    // ALTER SYSTEM cannot run inside a transaction block nor take parameters:
    // both statements are fixed text.
    // This session may itself have become read-only by an earlier fence.
    primary.exec_script("SET SESSION default_transaction_read_only = off");
    primary.exec_script(on ? "ALTER SYSTEM SET default_transaction_read_only = on"
                           : "ALTER SYSTEM RESET default_transaction_read_only");
    primary.exec("SELECT pg_reload_conf()");
    if (!on) return;
    // Sessions opened before the reload keep their writable default until
    // they end: end them (not walsenders, not ours, not background workers).
    primary.exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()");
}

bool read_only_fence_on(Connection& primary) {
    // reset_val: what the configuration files say (our ALTER SYSTEM, or a fence
    // written while the server was down), not this session's own SET.
    return primary
        .one_row("SELECT reset_val = 'on' AS fenced FROM pg_settings "
                 "WHERE name = 'default_transaction_read_only'")
        .boolean("fenced");
}

}  // namespace repmgr
