#include "cluster/overview.hpp"

#include <nlohmann/json.hpp>

#include "util/error.hpp"

namespace repmgr {
namespace {

// One statement instead of three: the page costs a single round trip per
// tick. Each part comes back as a JSON array (json_agg), parsed below.
constexpr const char* kOverviewSql =
    "SELECT "
    "(SELECT COALESCE(json_agg(json_build_object("
    "   'node_id', node_id, 'pid', pid, 'paused', paused, 'interval_secs', interval_secs, "
    "   'since', extract(epoch FROM now() - last_seen)::float8, "
    // to_jsonb: NULL rather than an error on a schema before version 5
    "   'state', to_jsonb(d) ->> 'state', 'reason', to_jsonb(d) ->> 'reason') ORDER BY node_id), "
    "   '[]') FROM repl_daemon AS d)::text AS daemons, "
    "(SELECT COALESCE(json_agg(json_build_object("
    "   'node_id', node_id, 'event', event, 'successful', successful, 'details', details, "
    "   'time', to_char(event_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')) "
    "   ORDER BY event_timestamp DESC), '[]') "
    "   FROM (SELECT * FROM repl_events ORDER BY event_timestamp DESC LIMIT $1) AS e)::text "
    "   AS events, "
    "(SELECT COALESCE(json_agg(json_build_object("
    "   'name', application_name, 'state', state, 'sync_state', sync_state, "
    "   'lag_bytes', greatest(pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() "
    "       THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END, replay_lsn), 0)::bigint, "
    "   'lag_seconds', extract(epoch FROM replay_lag)::float8) ORDER BY application_name), '[]') "
    "   FROM pg_stat_replication)::text AS downstream";

template <typename T>
std::optional<T> opt(const nlohmann::json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::nullopt;
    return it->get<T>();
}

std::string text(const nlohmann::json& j, const char* key) {
    return opt<std::string>(j, key).value_or("");
}

}  // namespace

ClusterOverview read_cluster_overview(Connection& conn, int max_events) {
    Row r = conn.one_row(kOverviewSql, max_events);
    ClusterOverview out;
    try {
        for (const auto& j : nlohmann::json::parse(r.text("daemons"))) {
            DaemonRow d;
            d.node_id = j.at("node_id").get<int>();
            d.pid = opt<int>(j, "pid");
            d.paused = opt<bool>(j, "paused").value_or(false);
            d.interval_secs = opt<int>(j, "interval_secs");
            d.seconds_since_seen = opt<double>(j, "since");
            d.state = opt<std::string>(j, "state");
            d.reason = opt<std::string>(j, "reason");
            out.daemons.push_back(std::move(d));
        }
        for (const auto& j : nlohmann::json::parse(r.text("events")))
            out.events.push_back(EventRecord{j.at("node_id").get<int>(), text(j, "event"),
                                             opt<bool>(j, "successful").value_or(true),
                                             text(j, "time"), text(j, "details")});
        for (const auto& j : nlohmann::json::parse(r.text("downstream")))
            out.downstream.push_back(DownstreamStandby{text(j, "name"), text(j, "state"),
                                                       text(j, "sync_state"),
                                                       opt<std::int64_t>(j, "lag_bytes"),
                                                       opt<double>(j, "lag_seconds")});
    } catch (const nlohmann::json::exception& e) {
        // PostgreSQL built this JSON; a shape we do not expect is a bug here.
        fail(ExitCode::DbQuery, "unexpected cluster overview from the server", e.what());
    }
    return out;
}

}  // namespace repmgr
