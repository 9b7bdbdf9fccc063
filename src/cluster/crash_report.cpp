#include "cluster/crash_report.hpp"

namespace repmgr {

void write_crash_report(Connection& witness, int node_id, int timeline, int reporter_node_id) {
    witness.exec(
        "INSERT INTO repl_crash_report (node_id, timeline, reporter_node_id, reported_at) "
        "VALUES ($1, $2, $3, now()) ON CONFLICT (node_id) DO UPDATE SET "
        "timeline = EXCLUDED.timeline, reporter_node_id = EXCLUDED.reporter_node_id, "
        "reported_at = EXCLUDED.reported_at",
        node_id, timeline, reporter_node_id);
    // After the row is committed: a listener woken by this reads it.
    witness.exec("SELECT pg_notify($1, $2::text)", std::string(kCrashReportChannel), node_id);
}

std::optional<CrashReportRow> read_newest_crash_report(Connection& witness) {
    try {
        // The age by the witness's own clock: the reader compares it with
        // its own elapsed time since it last reached the primary, so no two
        // clocks are ever compared.
        auto row = witness.opt_row(
            "SELECT node_id, timeline, reporter_node_id, "
            "  (extract(epoch FROM clock_timestamp() - reported_at) * 1000)::bigint AS age_ms "
            "FROM repl_crash_report ORDER BY reported_at DESC LIMIT 1");
        if (!row) return std::nullopt;
        return CrashReportRow{static_cast<int>(row->integer("node_id")),
                              static_cast<int>(row->integer("timeline")),
                              static_cast<int>(row->integer("reporter_node_id")),
                              row->integer("age_ms")};
    } catch (const DbError& e) {
        if (e.sqlstate() == "42P01") return std::nullopt;  // undefined_table: schema < 6
        throw;
    }
}

void listen_for_crash_reports(Connection& witness) {
    // LISTEN takes no parameters; the channel is a fixed name.
    witness.exec("LISTEN repmgr_crash_report");
}

}  // namespace repmgr
