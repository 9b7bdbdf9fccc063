#include "cluster/events.hpp"

#include "util/mask.hpp"

namespace repmgr {

std::string insert_event_row(Connection& conn, int node_id, const std::string& event,
                             bool successful, const std::string& details) {
    return conn
        .one_row(
            "INSERT INTO repl_events (node_id, event, successful, details) "
            "VALUES ($1, $2, $3, $4) "
            "RETURNING to_char(event_timestamp, 'YYYY-MM-DD HH24:MI:SS') AS ts",
            node_id, event, successful, mask_passwords(details))
        .text("ts");
}

}  // namespace repmgr

namespace repmgr {

std::vector<EventRow> list_events(Connection& conn, const EventFilter& filter) {
    Result r = conn.exec(
        "SELECT e.node_id, n.name, e.event, e.successful, "
        "to_char(e.event_timestamp, 'YYYY-MM-DD HH24:MI:SS') AS ts, e.details "
        "FROM repl_events e LEFT JOIN repl_nodes n ON n.id = e.node_id "
        "WHERE ($1::int IS NULL OR e.node_id = $1::int) "
        "AND ($2::text IS NULL OR e.event = $2::text) "
        "ORDER BY e.event_timestamp DESC, e.ctid DESC LIMIT $3::int",
        filter.node_id, filter.event, filter.limit);
    std::vector<EventRow> out;
    for (const auto& row : r.all())
        out.push_back(EventRow{static_cast<int>(row.integer("node_id")), row.text("name"),
                               row.text("event"), row.boolean("successful"), row.text("ts"),
                               mask_passwords(row.text("details"))});
    return out;
}

long long prune_monitor_history(Connection& conn, int keep_days) {
    return conn
        .exec("DELETE FROM repl_monitor WHERE last_monitor_time < now() - make_interval(days => $1)",
              keep_days)
        .affected();
}

}  // namespace repmgr
