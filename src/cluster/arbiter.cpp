#include "cluster/arbiter.hpp"

#include "cluster/replication.hpp"
#include "util/text.hpp"

namespace repmgr {

namespace {

// A witness registered by a version before schema 4 has no deadline columns
// until "repmgr witness register" is run again: its claims work as before
// (first claim final, nothing to confirm, never taken over).
bool claims_have_deadlines(Connection& witness) {
    return witness
        .one_row("SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = "
                 "'repl_failover_claim'::regclass AND attname = 'confirmed_at' "
                 "AND NOT attisdropped) AS ok")
        .boolean("ok");
}

// Runs `sql`, a statement on the term's row that `candidate_id` holds
// (parameters: failed primary, timeline, candidate; RETURNING a column), and
// says whether it matched that row.
bool matches_own_claim(Connection& witness, const std::string& sql, int failed_primary_id,
                       int timeline, int candidate_id) {
    return witness.opt_row(sql, failed_primary_id, timeline, candidate_id).has_value();
}

}  // namespace

FailoverClaim claim_failover_term(Connection& witness, int failed_primary_id, int timeline,
                                  int candidate_id, int confirm_within_s) {
    if (claims_have_deadlines(witness)) {
        // RETURNING: a won claim is known from this one round trip; the
        // winner's next statement on the witness is its confirmation.
        auto won = witness.opt_row(
            "INSERT INTO repl_failover_claim (failed_primary_id, primary_timeline, "
            "  winner_node_id, promote_by) "
            "VALUES ($1, $2, $3, now() + make_interval(secs => $4)) "
            "ON CONFLICT (failed_primary_id, primary_timeline) DO NOTHING "
            "RETURNING winner_node_id",
            failed_primary_id, timeline, candidate_id, confirm_within_s);
        if (won) return FailoverClaim{candidate_id, false, {}};
    } else {
        witness.exec(
            "INSERT INTO repl_failover_claim (failed_primary_id, primary_timeline, winner_node_id) "
            "VALUES ($1, $2, $3) ON CONFLICT (failed_primary_id, primary_timeline) DO NOTHING",
            failed_primary_id, timeline, candidate_id);
    }
    // The row can vanish between the two statements only when its holder
    // released it: winner 0 then reads as "someone else", and this
    // candidate looks again at the next election.
    return read_failover_claim(witness, failed_primary_id, timeline).value_or(FailoverClaim{});
}

std::optional<FailoverClaim> read_failover_claim(Connection& witness, int failed_primary_id,
                                                 int timeline) {
    if (!claims_have_deadlines(witness)) {
        auto row = witness.opt_row(
            "SELECT winner_node_id FROM repl_failover_claim "
            "WHERE failed_primary_id = $1 AND primary_timeline = $2",
            failed_primary_id, timeline);
        if (!row) return std::nullopt;
        FailoverClaim c;
        c.winner_node_id = static_cast<int>(row->integer("winner_node_id"));
        return c;
    }
    // "expired" is judged by the witness's clock, the same clock that set the
    // deadline: the candidates' clocks play no part. A claim without a
    // deadline (made by an older version) never expires.
    auto row = witness.opt_row(
        "SELECT winner_node_id, "
        "  (confirmed_at IS NULL AND promote_by IS NOT NULL AND promote_by < now()) AS expired, "
        "  array_to_string(superseded_node_ids, ',') AS passed_over "
        "FROM repl_failover_claim WHERE failed_primary_id = $1 AND primary_timeline = $2",
        failed_primary_id, timeline);
    if (!row) return std::nullopt;
    FailoverClaim c;
    c.winner_node_id = static_cast<int>(row->integer("winner_node_id"));
    c.expired = row->boolean("expired");
    c.passed_over = parse_int_list(row->text("passed_over"));
    return c;
}

bool take_over_failover_claim(Connection& witness, int failed_primary_id, int timeline,
                              int stale_winner_id, int candidate_id, int confirm_within_s) {
    if (!claims_have_deadlines(witness)) return false;
    // Every condition that made the claim expired is re-checked here, under
    // the row lock: if the old winner confirmed meanwhile, or another
    // candidate took over first, this UPDATE matches nothing.
    auto row = witness.opt_row(
        "UPDATE repl_failover_claim SET winner_node_id = $4, claimed_at = now(), "
        "  promote_by = now() + make_interval(secs => $5), "
        "  superseded_node_ids = array_append(superseded_node_ids, winner_node_id) "
        "WHERE failed_primary_id = $1 AND primary_timeline = $2 AND winner_node_id = $3 "
        "  AND confirmed_at IS NULL AND promote_by IS NOT NULL AND promote_by < now() "
        "RETURNING winner_node_id",
        failed_primary_id, timeline, stale_winner_id, candidate_id, confirm_within_s);
    return row.has_value();
}

bool confirm_failover_claim(Connection& witness, int failed_primary_id, int timeline,
                            int candidate_id) {
    if (!claims_have_deadlines(witness)) {
        auto c = read_failover_claim(witness, failed_primary_id, timeline);
        return c && c->winner_node_id == candidate_id;
    }
    // A late confirmation (past promote_by) is still valid as long as nobody
    // took the claim over: the deadline only permits a takeover, it does not
    // revoke the claim. Confirming twice (a retry) keeps the first time.
    return matches_own_claim(
        witness,
        "UPDATE repl_failover_claim SET confirmed_at = COALESCE(confirmed_at, now()) "
        "WHERE failed_primary_id = $1 AND primary_timeline = $2 AND winner_node_id = $3 "
        "RETURNING winner_node_id",
        failed_primary_id, timeline, candidate_id);
}

bool release_failover_claim(Connection& witness, int failed_primary_id, int timeline,
                            int candidate_id) {
    // Only an unconfirmed claim of this candidate: a confirmed one is final,
    // and an old-style witness (no confirmation column) keeps every claim.
    if (!claims_have_deadlines(witness)) return false;
    return matches_own_claim(
        witness,
        "DELETE FROM repl_failover_claim "
        "WHERE failed_primary_id = $1 AND primary_timeline = $2 AND winner_node_id = $3 "
        "  AND confirmed_at IS NULL RETURNING winner_node_id",
        failed_primary_id, timeline, candidate_id);
}

PeerState read_peer_state(Connection& conn, int fresh_within_s) {
    Row row = conn.one_row(
        std::string("SELECT pg_is_in_recovery() AS in_recovery, "
        "  CASE WHEN pg_is_in_recovery() THEN "
        "    GREATEST(COALESCE(pg_last_wal_receive_lsn(), '0/0'), "
        "             COALESCE(pg_last_wal_replay_lsn(), '0/0'))::text END AS received, "
        "  EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming' "
        "          AND last_msg_receipt_time > now() - make_interval(secs => $1)) AS streaming, "
        "  CASE WHEN NOT pg_is_in_recovery() THEN "
        "    ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int "
        "  END AS timeline, ") +
            kReadOnlyFenceInForceSql + " AS fenced",
        fresh_within_s);
    PeerState p;
    p.in_recovery = row.boolean("in_recovery");
    if (auto lsn = row.opt_text("received")) p.received_lsn = parse_lsn(*lsn).value_or(0);
    p.streaming = row.boolean("streaming");
    if (!row.is_null("timeline")) p.timeline = static_cast<int>(row.integer("timeline"));
    p.read_only_fenced = row.boolean("fenced");
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
    // This session may itself have become read-only by an earlier fence. It
    // records repmgrd's own events and flags, which must not wait for a
    // synchronous standby that an isolated primary cannot reach.
    primary.exec_script("SET SESSION default_transaction_read_only = off");
    primary.exec_script("SET SESSION synchronous_commit = local");
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
    return primary.one_row(std::string("SELECT ") + kReadOnlyFenceInForceSql + " AS fenced")
        .boolean("fenced");
}

}  // namespace repmgr
