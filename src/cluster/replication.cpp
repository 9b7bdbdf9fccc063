#include "cluster/replication.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "config/conninfo.hpp"

namespace repmgr {
namespace {

using Clock = std::chrono::steady_clock;

// Replication connections speak the simple query protocol only: no bound
// parameters, and none of the commands below takes a value from outside
// except the timeline number, which is an integer we format ourselves.
Result simple_query(Connection& conn, const std::string& command) {
    PGresult* res = PQexec(conn.raw(), command.c_str());
    auto status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) return Result(res);
    std::string message = res ? PQresultErrorMessage(res) : PQerrorMessage(conn.raw());
    if (res) PQclear(res);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    throw DbError(ExitCode::DbQuery, fmt::format("replication command {} failed", command), {},
                  message);
}

Connection open_replication(const std::string& conninfo) {
    Conninfo c = Conninfo::parse(conninfo);
    c.set("replication", "true");
    return Connection::open(c.to_string());
}

template <typename Predicate>
bool poll_until(int timeout_s, std::chrono::milliseconds interval, Predicate done) {
    auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
    for (;;) {
        if (done()) return true;
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(interval);
    }
}

Lsn lsn_column(const Row& row, std::string_view column) {
    auto text = row.opt_text(column);
    if (!text) return 0;
    return parse_lsn(*text).value_or(0);
}

}  // namespace

WalPosition identify_system(const std::string& conninfo) {
    Connection conn = open_replication(conninfo);
    Result r = simple_query(conn, "IDENTIFY_SYSTEM");
    if (r.rows() != 1)
        throw DbError(ExitCode::DbQuery, "IDENTIFY_SYSTEM returned no row", {});
    Row row = r.row(0);
    WalPosition pos;
    pos.timeline = static_cast<int>(row.integer("timeline"));
    pos.lsn = lsn_column(row, "xlogpos");
    return pos;
}

WalPosition standby_position(Connection& standby) {
    Row row = standby.one_row(
        "SELECT pg_last_wal_receive_lsn()::text AS receive, "
        "pg_last_wal_replay_lsn()::text AS replay, "
        // The newest timeline this standby knows of. Once its WAL receiver is
        // gone, the last restartpoint's timeline can be several promotions
        // old (a standby rejoined with pg_rewind and not yet restartpointed):
        // the history files it fetched into pg_wal say better.
        "GREATEST((SELECT received_tli FROM pg_stat_wal_receiver WHERE received_tli > 0), "
        "(SELECT timeline_id FROM pg_control_checkpoint()), "
        "(SELECT min_recovery_end_timeline FROM pg_control_recovery()), "
        "(SELECT max(('x' || substr(name, 1, 8))::bit(32)::int) FROM pg_ls_waldir() "
        "WHERE name ~ '^[0-9A-F]{8}\\.history$')) AS timeline");
    WalPosition pos;
    pos.timeline = static_cast<int>(row.integer("timeline"));
    pos.lsn = std::max(lsn_column(row, "receive"), lsn_column(row, "replay"));
    return pos;
}

ReplayDelay replay_delay(Connection& standby) {
    Row row = standby.one_row(
        "SELECT pg_last_xact_replay_timestamp()::text AS last_replay, "
        "CASE WHEN pg_last_wal_receive_lsn() IS NOT NULL "
        "AND pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0 "
        "ELSE EXTRACT(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) "
        "END::float8 AS lag");
    ReplayDelay d;
    d.last_replay_time = row.opt_text("last_replay");
    if (auto lag = row.opt_text("lag")) d.lag_seconds = std::stod(*lag);
    return d;
}

std::vector<TimelineSwitch> parse_timeline_history(std::string_view text) {
    std::vector<TimelineSwitch> out;
    std::istringstream in{std::string(text)};
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string tli, lsn;
        if (!(fields >> tli >> lsn) || tli.empty() || tli[0] == '#') continue;
        auto parsed = parse_lsn(lsn);
        if (!parsed) continue;
        // A line whose timeline is not a number is no history entry: skipped
        // like the comments and the malformed positions above.
        int timeline = 0;
        auto [end, ec] = std::from_chars(tli.data(), tli.data() + tli.size(), timeline);
        if (ec != std::errc() || end != tli.data() + tli.size()) continue;
        out.push_back({timeline, *parsed});
    }
    return out;
}

std::vector<TimelineSwitch> timeline_history(const std::string& conninfo, int timeline) {
    if (timeline <= 1) return {};
    Connection conn = open_replication(conninfo);
    Result r = simple_query(conn, fmt::format("TIMELINE_HISTORY {}", timeline));
    if (r.rows() != 1) return {};
    return parse_timeline_history(r.row(0).text("content"));
}

FollowCheck check_can_follow(const WalPosition& local, const WalPosition& upstream,
                             const std::vector<TimelineSwitch>& history) {
    if (upstream.timeline == local.timeline) {
        if (local.lsn <= upstream.lsn) return {FollowVerdict::Compatible, {}};
        return {FollowVerdict::Diverged,
                fmt::format("both are on timeline {}, but this node's WAL reaches {} and the "
                            "upstream's only {}",
                            local.timeline, format_lsn(local.lsn), format_lsn(upstream.lsn))};
    }
    if (upstream.timeline < local.timeline)
        return {FollowVerdict::Diverged,
                fmt::format("this node is on timeline {}, later than the upstream's timeline {}",
                            local.timeline, upstream.timeline)};
    for (const auto& sw : history) {
        if (sw.timeline != local.timeline) continue;
        if (local.lsn <= sw.switchpoint) return {FollowVerdict::Compatible, {}};
        return {FollowVerdict::Diverged,
                fmt::format("the upstream left timeline {} at {}, but this node's WAL on that "
                            "timeline reaches {}",
                            local.timeline, format_lsn(sw.switchpoint), format_lsn(local.lsn))};
    }
    return {FollowVerdict::Diverged,
            fmt::format("timeline {} of this node is not in the history of the upstream's "
                        "timeline {}",
                        local.timeline, upstream.timeline)};
}

FollowCheck check_can_follow(const WalPosition& local, const std::string& upstream_conninfo) {
    WalPosition upstream = identify_system(upstream_conninfo);
    std::vector<TimelineSwitch> history;
    if (upstream.timeline > local.timeline)
        history = timeline_history(upstream_conninfo, upstream.timeline);
    return check_can_follow(local, upstream, history);
}

bool is_streaming_to(Connection& upstream, const std::string& application_name) {
    return upstream
        .one_row(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_replication WHERE application_name = $1 "
            "AND state = 'streaming') AS s",
            application_name)
        .boolean("s");
}

bool wait_streaming_to(Connection& upstream, const std::string& application_name, int timeout_s) {
    return poll_until(timeout_s, std::chrono::milliseconds(200),
                      [&] { return is_streaming_to(upstream, application_name); });
}

Lsn current_flush_lsn(Connection& primary) {
    return lsn_column(primary.one_row("SELECT pg_current_wal_flush_lsn()::text AS lsn"), "lsn");
}

ReplayState replay_state(Connection& standby) {
    Row row = standby.one_row(
        "SELECT pg_last_wal_receive_lsn()::text AS receive, "
        "pg_last_wal_replay_lsn()::text AS replay, "
        "pg_is_in_recovery() AND pg_is_wal_replay_paused() AS paused");
    return ReplayState{lsn_column(row, "receive"), lsn_column(row, "replay"),
                       row.boolean("paused")};
}

bool wait_replayed_past(Connection& standby, Lsn target, int timeout_s) {
    return poll_until(timeout_s, std::chrono::milliseconds(100),
                      [&] { return replay_state(standby).replay > target; });
}

bool wait_replayed_to(Connection& standby, Lsn target, int timeout_s) {
    return poll_until(timeout_s, std::chrono::milliseconds(100),
                      [&] { return replay_state(standby).replay >= target; });
}

bool wait_until_writable(Connection& conn, int timeout_s) {
    return poll_until(timeout_s, std::chrono::milliseconds(100),
                      [&] { return !conn.in_recovery(); });
}

bool promote_standby(Connection& standby, int wait_seconds) {
    return standby.one_row("SELECT pg_promote(true, $1::int) AS ok", wait_seconds).boolean("ok");
}

std::string server_data_directory(Connection& conn) {
    return conn.one_row("SELECT current_setting('data_directory') AS d").text("d");
}

void run_checkpoint(Connection& conn) { conn.exec("CHECKPOINT"); }

bool can_checkpoint(Connection& conn) {
    return conn
        .one_row(
            "SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) OR EXISTS "
            "(SELECT 1 FROM pg_roles AS r WHERE r.rolname = 'pg_checkpoint' "
            "AND pg_has_role(current_user, r.oid, 'MEMBER')) AS ok")
        .boolean("ok");
}

}  // namespace repmgr
