// repmgr cluster show | event | cleanup
#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "actions/actions.hpp"
#include "actions/node_inspect.hpp"
#include "actions/node_selection.hpp"
#include "actions/registration.hpp"
#include "cluster/events.hpp"
#include "cluster/nodes.hpp"
#include "cluster/status.hpp"
#include "cluster/zero_loss.hpp"
#include "util/json_text.hpp"
#include "util/mask.hpp"
#include "util/table.hpp"

namespace repmgr {
namespace {

void print_rows(const Context& ctx, const std::vector<std::string>& headers,
                const std::vector<std::vector<std::string>>& rows) {
    if (ctx.opts.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& row : rows) {
            nlohmann::json obj;
            for (size_t c = 0; c < headers.size(); ++c) obj[headers[c]] = row[c];
            out.push_back(obj);
        }
        std::cout << json_text(out) << "\n";
    } else if (ctx.opts.csv) {
        std::cout << render_csv(headers, rows);
    } else {
        std::cout << render_table(headers, rows);
    }
}

// sync_state per standby name, as the reachable primary's pg_stat_replication
// shows it; empty when no primary answers.
std::map<std::string, std::string> sync_states(const std::vector<NodeStatus>& statuses) {
    std::map<std::string, std::string> out;
    for (const auto& s : statuses) {
        if (s.node.type != NodeType::Master || !s.reachable || s.in_recovery) continue;
        try {
            Connection p = Connection::open(s.node.conninfo);
            p.set_query_timeout(std::chrono::seconds(5));
            for (const auto& r : read_replication_rows(p)) out[r.application_name] = r.sync_state;
        } catch (const Failure&) {
            // The table already reports what answers; the synchronous column is best effort.
        }
        break;
    }
    return out;
}

// arbiter=etcd: the arbiter under the table, and an issue when nobody can
// promote (no endpoint answers) or another node holds the running primary's
// key (nobody holding it is no issue: repmgrd may not run yet).
std::string etcd_footnote(const Config& config, const std::vector<NodeStatus>& statuses,
                          std::vector<std::string>& issues) {
    EtcdFacts f = read_etcd_facts(config);
    if (f.endpoints_answering == 0) {
        issues.push_back(fmt::format("none of the {} etcd endpoint(s) answers: {}",
                                     f.endpoints_total, f.first_error));
        return fmt::format("Arbiter: etcd, none of {} endpoint(s) answers", f.endpoints_total);
    }
    std::string holder = f.leader ? fmt::format("node {} holds the leader key", *f.leader)
                                  : std::string("nobody holds the leader key");
    if (f.leader && f.lease_left_s >= 0)
        holder += fmt::format(" ({} s left on its lease)", f.lease_left_s);
    for (const auto& s : statuses)
        if (s.reachable && !s.in_recovery && s.node.type == NodeType::Master && f.leader &&
            *f.leader != s.node.id)
            issues.push_back(fmt::format("node {} (\"{}\") runs as the primary but {}",
                                         s.node.id, s.node.name, holder));
    std::string out = fmt::format("Arbiter: etcd, {} of {} endpoint(s) answer; {}",
                                  f.endpoints_answering, f.endpoints_total, holder);
    for (const auto& s : statuses) {
        auto r = std::find_if(f.nodes.begin(), f.nodes.end(),
                              [&](const auto& n) { return n.node_id == s.node.id; });
        if (r == f.nodes.end()) {
            out += fmt::format("\n  node {} (\"{}\"): no report in etcd (repmgrd never ran there "
                               "with arbiter=etcd)",
                               s.node.id, s.node.name);
            continue;
        }
        std::string what = !r->server_up    ? "its server does not answer"
                           : r->in_recovery ? (r->upstream ? fmt::format("standby of node {}",
                                                                         *r->upstream)
                                                           : std::string("standby"))
                                            : std::string("accepts writes");
        out += fmt::format("\n  node {} (\"{}\"), reported {:.1f} s ago: {}{}", s.node.id,
                           s.node.name, r->age_s, what,
                           r->reason.empty() ? "" : "; repmgrd: " + r->reason);
    }
    return out;
}

}  // namespace

int run_cluster_show(Context& ctx) {
    Connection conn = connect_metadata(ctx);
    std::vector<NodeStatus> statuses = probe_cluster(conn);

    if (ctx.opts.csv && ctx.opts.terse) {
        // repmgr 5's `cluster show --csv`: "id,connection_status,recovery_type"
        // (0 connected, -1 not; 0 primary, 1 standby, -1 unknown), which
        // `cluster matrix` reads from every node and scripts may parse.
        bool issue = false;
        for (const auto& s : statuses) {
            std::cout << fmt::format("{},{},{}\n", s.node.id, s.reachable ? 0 : -1,
                                     !s.reachable ? -1 : s.in_recovery ? 1 : 0);
            issue = issue || s.issue().has_value();
        }
        return issue ? to_int(ExitCode::NodeStatus) : 0;
    }
    std::map<std::string, std::string> sync = sync_states(statuses);
    auto sync_of = [&](const NodeRecord& n) -> std::string {
        auto it = sync.find(n.name);
        return it == sync.end() || n.type != NodeType::Standby ? std::string{} : it->second;
    };
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> issues;
    for (const auto& s : statuses) {
        const NodeRecord& n = s.node;
        rows.push_back({std::to_string(n.id), n.name, std::string(node_role_label(n.type)),
                        s.status_text(), s.upstream_name, n.location, std::to_string(n.priority),
                        mask_passwords(n.conninfo)});
        if (auto issue = s.issue()) issues.push_back(*issue);
    }
    if (ctx.opts.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& s : statuses)
            out.push_back({{"id", s.node.id},
                           {"name", s.node.name},
                           {"role", node_role_label(s.node.type)},
                           {"type", node_type_name(s.node.type)},
                           {"active", s.node.active},
                           {"status", s.status_text()},
                           {"reachable", s.reachable},
                           {"upstream", s.upstream_name},
                           {"location", s.node.location},
                           {"priority", s.node.priority},
                           {"sync_state", sync_of(s.node).empty() ? nlohmann::json(nullptr)
                                                                  : nlohmann::json(sync_of(s.node))},
                           {"conninfo", mask_passwords(s.node.conninfo)}});
        std::cout << json_text(out) << "\n";
    } else {
        std::vector<std::string> headers{"ID",       "Name",     "Role",
                                         "Status",   "Upstream", "Location",
                                         "Priority", "Connection string"};
        // --compact (repmgr 5): without the connection string, the widest column.
        if (ctx.opts.compact) {
            headers.pop_back();
            for (auto& row : rows) row.pop_back();
        }
        print_rows(ctx, headers, rows);
        // The seed's columns stay as they are: synchronous standbys are a footnote.
        std::string synchronous;
        for (const auto& s : statuses)
            if (std::string st = sync_of(s.node); st == "sync" || st == "quorum")
                synchronous += fmt::format("{}node {} (\"{}\", {})", synchronous.empty() ? "" : ", ",
                                           s.node.id, s.node.name, st);
        if (!synchronous.empty() && !ctx.opts.csv)
            std::cout << "\nSynchronous standbys: " << synchronous << "\n";
        if (ctx.config.arbiter == "etcd" && !ctx.opts.csv)
            std::cout << "\n" << etcd_footnote(ctx.config, statuses, issues) << "\n";
    }
    if (issues.empty()) return 0;
    if (!ctx.opts.csv && !ctx.opts.json) {
        ctx.log.warning("the following issues were detected");
        for (const auto& i : issues) ctx.log.detail(i);
    }
    return to_int(ExitCode::NodeStatus);
}

int run_cluster_event(Context& ctx) {
    if (!ctx.opts.all && ctx.opts.limit < 1)
        fail(ExitCode::BadConfig, fmt::format("--limit must be 1 or more, got {}", ctx.opts.limit),
             {}, "use --all to list every recorded event");
    Connection conn = connect_metadata(ctx);
    NodeRepository repo(conn);
    EventFilter filter;
    filter.node_id = selected_node_id(ctx.opts, repo);
    if (!ctx.opts.event.empty()) filter.event = ctx.opts.event;
    if (!ctx.opts.all) filter.limit = ctx.opts.limit;
    std::vector<std::vector<std::string>> rows;
    for (const auto& e : list_events(conn, filter))
        rows.push_back({std::to_string(e.node_id), e.node_name, e.event,
                        e.successful ? "t" : "f", e.timestamp, e.details});
    print_rows(ctx, {"Node ID", "Name", "Event", "OK", "Timestamp", "Details"}, rows);
    return 0;
}

int run_cluster_cleanup(Context& ctx) {
    PrimaryConnection primary = connect_cluster_primary(ctx);
    if (ctx.opts.keep_history < 0)
        fail(ExitCode::BadConfig, "-k/--keep-history must be 0 or more days");
    if (ctx.opts.dry_run) {
        ctx.log.notice("[dry run] would delete monitoring history older than {} day(s)",
                       ctx.opts.keep_history);
        return 0;
    }
    long long deleted = prune_monitor_history(primary.conn, ctx.opts.keep_history);
    ctx.record(&primary.conn, "cluster_cleanup", true,
               fmt::format("{} monitoring history row(s) deleted", deleted));
    ctx.log.notice("{} monitoring history row(s) older than {} day(s) deleted", deleted,
                   ctx.opts.keep_history);
    return 0;
}

}  // namespace repmgr
