// GET /status/cluster: the data of the status page, as JSON.
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "daemon/http/http_status.hpp"
#include "util/json_text.hpp"
#include "util/mask.hpp"

namespace repmgr::repmgrd {
namespace {

using nlohmann::json;

json node_json(const ClusterNodeStatus& n) {
    json notes = json::array();
    for (const auto& note : n.notes) notes.push_back(mask_passwords(note));
    return {
        {"node_id", n.node_id},
        {"node_name", n.name},
        {"role", n.role},
        {"registered_role", n.registered_role},
        {"active", n.active},
        {"priority", n.priority},
        {"location", n.location},
        {"upstream_node_id", json_or_null(n.upstream_id)},
        {"tree_upstream_node_id", json_or_null(n.tree_upstream_id)},
        {"answers", json_or_null(n.answers)},
        {"seen_via", n.seen_via},
        {"lag", {{"bytes", json_or_null(n.lag_bytes)}, {"seconds", json_or_null(n.lag_seconds)}}},
        {"replication", n.replication.empty() ? json(nullptr) : json(n.replication)},
        {"repmgrd", {{"status", n.daemon},
                     {"state", json_or_null(n.daemon_state)},
                     // A reason or event may quote a conninfo: mask before it leaves.
                     {"reason", n.daemon_reason ? json(mask_passwords(*n.daemon_reason)) : json(nullptr)},
                     {"last_report_age_seconds", json_or_null(n.daemon_report_age)},
                     {"paused", n.paused}}},
        {"notes", notes},
    };
}

}  // namespace

std::string render_cluster_json(const DaemonStatus& s, std::chrono::system_clock::time_point now) {
    const ClusterStatus& c = s.cluster;
    json nodes = json::array();
    for (const auto& n : c.nodes) nodes.push_back(node_json(n));
    json events = json::array();
    for (const auto& e : c.events)
        events.push_back({{"node_id", e.node_id}, {"node_name", e.node_name}, {"event", e.event},
                          {"successful", e.successful}, {"time", e.time},
                          {"details", mask_passwords(e.details)}});
    json primary = nullptr;
    if (c.primary_id) {
        primary = {{"node_id", *c.primary_id}, {"node_name", nullptr}};
        for (const auto& n : c.nodes)
            if (n.node_id == *c.primary_id) primary["node_name"] = n.name;
    }
    auto checked = std::chrono::floor<std::chrono::seconds>(s.checked_at);
    json j = {
        {"observer", {{"node_id", s.node_id}, {"node_name", s.node_name}, {"state", s.state}}},
        {"primary", primary},
        {"nodes", nodes},
        {"events", events},
        {"error", c.overview_error.empty() ? json(nullptr) : json(mask_passwords(c.overview_error))},
        {"last_check", fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", checked)},
        {"last_check_age_seconds",
         std::max(0.0, std::chrono::duration<double>(now - s.checked_at).count())},
    };
    return json_text(j) + "\n";
}

}  // namespace repmgr::repmgrd
