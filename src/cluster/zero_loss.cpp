#include "cluster/zero_loss.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include "util/text.hpp"

namespace repmgr {
namespace {

std::vector<int> sorted_ids(const std::string& csv) {
    std::vector<int> ids = parse_int_list(csv);
    std::sort(ids.begin(), ids.end());
    return ids;
}

std::string id_array(const std::vector<int>& ids) {
    std::string out = "{";
    for (size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
    return out + "}";
}

}  // namespace

std::optional<ZeroLossRecord> read_zero_loss_record(Connection& conn) {
    try {
        auto row = conn.opt_row(
            "SELECT array_to_string(candidate_ids, ',') AS ids, primary_node_id, version "
            "FROM repl_zero_loss WHERE id = 1");
        if (!row) return std::nullopt;
        return ZeroLossRecord{sorted_ids(row->text("ids")),
                              static_cast<int>(row->integer("primary_node_id")),
                              row->integer("version")};
    } catch (const DbError& e) {
        if (e.sqlstate() == "42P01") return std::nullopt;  // undefined_table: schema < 8
        throw;
    }
}

void write_zero_loss_record(Connection& conn, const ZeroLossRecord& r) {
    conn.exec("SELECT set_config('synchronous_commit', 'local', false)");
    conn.exec(
        "INSERT INTO repl_zero_loss (id, candidate_ids, primary_node_id, version, recorded_at) "
        "VALUES (1, $1::int[], $2, $3, now()) ON CONFLICT (id) DO UPDATE SET "
        "candidate_ids = EXCLUDED.candidate_ids, primary_node_id = EXCLUDED.primary_node_id, "
        "version = EXCLUDED.version, recorded_at = EXCLUDED.recorded_at "
        "WHERE repl_zero_loss.version < EXCLUDED.version",
        id_array(r.candidate_ids), r.primary_node_id, r.version);
}

std::optional<ZeroLossRecord> newer_record(const std::optional<ZeroLossRecord>& a,
                                           const std::optional<ZeroLossRecord>& b) {
    if (!a) return b;
    if (!b) return a;
    return b->version > a->version ? b : a;
}

std::optional<double> read_heartbeat_epoch(Connection& conn, int node_id) {
    auto row = conn.opt_row(
        "SELECT extract(epoch FROM last_seen)::float8 AS t FROM repl_daemon WHERE node_id = $1 "
        "AND last_seen IS NOT NULL",
        node_id);
    if (!row) return std::nullopt;
    return std::stod(row->text("t"));
}

std::vector<ReplicationRow> read_replication_rows(Connection& primary) {
    std::vector<ReplicationRow> out;
    for (const auto& row :
         primary
             .exec("SELECT application_name, state, sync_state, flush_lsn::text AS flush, "
                   "extract(epoch FROM clock_timestamp() - reply_time)::float8 AS reply_age "
                   "FROM pg_stat_replication ORDER BY application_name")
             .all()) {
        ReplicationRow r{row.text("application_name"), row.text("state"), row.text("sync_state"),
                         {}};
        if (auto f = row.opt_text("flush")) r.flush_lsn = parse_lsn(*f);
        if (auto a = row.opt_text("reply_age")) r.reply_age_s = std::stod(*a);
        out.push_back(std::move(r));
    }
    return out;
}

std::string read_synchronous_standby_names(Connection& primary) {
    return primary.one_row("SELECT current_setting('synchronous_standby_names') AS v").text("v");
}

std::string set_synchronous_standby_names(Connection& primary, const std::string& value) {
    // ALTER SYSTEM takes no parameters and no transaction block: the value is
    // quoted by libpq (the names in it come from our own metadata).
    primary.exec("SELECT set_config('synchronous_commit', 'local', false)");
    char* quoted = PQescapeLiteral(primary.raw(), value.c_str(), value.size());
    if (!quoted) throw DbError(ExitCode::DbQuery, "unable to quote synchronous_standby_names", {});
    std::string literal(quoted);
    PQfreemem(quoted);
    primary.exec_script("ALTER SYSTEM SET synchronous_standby_names = " + literal);
    primary.exec("SELECT pg_reload_conf()");
    std::string now;
    for (int i = 0; i < 20; ++i) {
        now = read_synchronous_standby_names(primary);
        if (now == value) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return now;
}

}  // namespace repmgr
