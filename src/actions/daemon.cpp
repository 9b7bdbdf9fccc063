// repmgr daemon status | pause | unpause (alias: service)
#include <iostream>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "actions/actions.hpp"
#include "actions/registration.hpp"
#include "cluster/history.hpp"
#include "cluster/nodes.hpp"
#include "cluster/status.hpp"
#include "util/json_text.hpp"
#include "util/mask.hpp"
#include "util/table.hpp"

namespace repmgr {
namespace {

// The metadata as this node sees it (a standby's copy is fine for reading),
// else through -h/-p/-U/-d: status must work while the primary is down.
Connection connect_for_status(Context& ctx) {
    Connection conn = connect_metadata(ctx);
    if (!daemon_table_exists(conn))
        fail(ExitCode::BadConfig, "the metadata has no repmgrd status table (repl_daemon)",
             "the schema was created by an older version",
             "run \"repmgr primary register\" on the primary to upgrade the schema in place");
    return conn;
}

struct DaemonView {
    std::string state;        // running | not running | not reporting
    std::string pid = "-";
    std::string last_report = "-";
    bool running = false;
};

DaemonView describe(const std::optional<DaemonRow>& row) {
    DaemonView v;
    v.state = "not running";
    if (!row) return v;
    if (row->seconds_since_seen)
        v.last_report = fmt::format("{:.0f} second(s) ago", std::max(0.0, *row->seconds_since_seen));
    if (!row->pid) return v;
    v.pid = std::to_string(*row->pid);
    // A live repmgrd reports every interval; three missed reports (and at
    // least 10 s) mean it is gone or cannot reach the primary.
    double allowed = std::max(10.0, 3.0 * row->interval_secs.value_or(2));
    bool fresh = row->seconds_since_seen && *row->seconds_since_seen <= allowed;
    v.state = fresh ? "running" : "not reporting";
    v.running = fresh;
    return v;
}

int set_paused(Context& ctx, bool paused) {
    const char* verb = paused ? "pause" : "unpause";
    PrimaryConnection primary = connect_cluster_primary(ctx);
    if (!daemon_table_exists(primary.conn))
        fail(ExitCode::RepmgrdPause, "the metadata has no repmgrd status table (repl_daemon)",
             "the schema was created by an older version",
             "run \"repmgr primary register -F\" on the primary to upgrade the schema in place");
    std::map<int, bool> current;
    for (const auto& row : daemon_rows(primary.conn)) current[row.node_id] = row.paused;
    std::vector<NodeRecord> nodes = NodeRepository(primary.conn).all();
    std::vector<std::string> to_change;
    for (const auto& n : nodes)
        if (current[n.id] != paused) to_change.push_back(fmt::format("{} (ID: {})", n.name, n.id));

    if (to_change.empty()) {
        ctx.log.notice("repmgrd is already {} on all {} node(s); nothing to do",
                       paused ? "paused" : "unpaused", nodes.size());
        return 0;
    }
    std::string list;
    for (const auto& c : to_change) list += (list.empty() ? "" : ", ") + c;
    if (ctx.opts.dry_run) {
        ctx.log.notice("[dry run] would {} repmgrd on: {}", verb, list);
        return 0;
    }
    std::vector<int> changed;
    try {
        changed = set_daemon_paused(primary.conn, paused);
    } catch (const DbError& e) {
        fail(ExitCode::RepmgrdPause, fmt::format("unable to {} repmgrd", verb), e.detail(),
             "check that the primary accepts writes and run the command again");
    }
    std::string details = fmt::format("repmgrd {} on {} node(s): {}",
                                      paused ? "paused" : "unpaused", changed.size(), list);
    ctx.record(&primary.conn, paused ? "repmgrd_pause" : "repmgrd_unpause", true, details);
    ctx.log.notice("{}", details);
    if (paused)
        ctx.log.hint("a paused repmgrd keeps monitoring but takes no failover action; "
                     "\"repmgr daemon unpause\" resumes it");
    return 0;
}

}  // namespace

int run_daemon_status(Context& ctx) {
    Connection conn = connect_for_status(ctx);
    std::map<int, DaemonRow> rows;
    for (auto& r : daemon_rows(conn)) rows[r.node_id] = r;
    std::vector<NodeStatus> statuses = probe_cluster(conn);

    std::vector<std::vector<std::string>> table;
    nlohmann::json json = nlohmann::json::array();
    for (const auto& s : statuses) {
        const NodeRecord& n = s.node;
        std::optional<DaemonRow> row;
        if (auto it = rows.find(n.id); it != rows.end()) row = it->second;
        DaemonView v = describe(row);
        bool paused = row && row->paused;
        table.push_back({std::to_string(n.id), n.name, std::string(node_role_label(n.type)),
                         s.status_text(), v.state, v.pid, paused ? "yes" : "no", v.last_report});
        if (ctx.opts.detail) {
            auto& line = table.back();
            line.push_back(n.location);
            line.push_back(std::to_string(n.priority));
            line.push_back(row && row->state ? *row->state : "-");
            line.push_back(row && row->reason ? mask_passwords(*row->reason) : "-");
        }
        json.push_back({{"id", n.id},
                        {"name", n.name},
                        {"role", node_role_label(n.type)},
                        {"status", s.status_text()},
                        {"repmgrd", v.state},
                        {"running", v.running},
                        {"pid", row && row->pid ? nlohmann::json(*row->pid) : nlohmann::json()},
                        {"paused", paused},
                        // what that repmgrd decided at its last report, and why
                        {"state", row && row->state ? nlohmann::json(*row->state) : nlohmann::json()},
                        {"reason", row && row->reason ? nlohmann::json(mask_passwords(*row->reason))
                                                      : nlohmann::json()},
                        {"last_seen", row && row->last_seen ? nlohmann::json(*row->last_seen)
                                                            : nlohmann::json()},
                        {"seconds_since_seen", row && row->seconds_since_seen
                                                   ? nlohmann::json(*row->seconds_since_seen)
                                                   : nlohmann::json()}});
    }
    std::vector<std::string> headers{"ID", "Name", "Role", "Status", "repmgrd", "PID", "Paused",
                                     "Last report"};
    if (ctx.opts.detail)  // --detail (repmgr 5): where, how eligible, and what repmgrd decided
        for (const char* h : {"Location", "Priority", "State", "Reason"}) headers.push_back(h);
    if (ctx.opts.json)
        std::cout << json_text(json) << "\n";
    else if (ctx.opts.csv)
        std::cout << render_csv(headers, table);
    else
        std::cout << render_table(headers, table);
    return 0;
}

int run_daemon_pause(Context& ctx) { return set_paused(ctx, true); }

int run_daemon_unpause(Context& ctx) { return set_paused(ctx, false); }

}  // namespace repmgr
