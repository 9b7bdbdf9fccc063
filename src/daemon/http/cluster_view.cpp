#include "daemon/http/cluster_view.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace repmgr::repmgrd {
namespace {

// The primary as this node sees it: itself when it runs writable, else a node
// it saw answering as the writable primary, else what the metadata registers.
std::optional<int> seen_primary(const Snapshot& s, std::optional<int> primary_link_id) {
    if (s.role == NodeRole::Primary && s.local.reachable && !s.local.in_recovery) return s.node_id;
    if (s.primary_elsewhere) return s.primary_elsewhere;
    if (s.failover && s.failover->running_primary_id) return s.failover->running_primary_id;
    if (primary_link_id) return primary_link_id;
    for (const auto& n : s.nodes)
        if (n.active && n.type == NodeType::Master) return n.id;
    return std::nullopt;
}

// As "repmgr daemon status" judges it: a live repmgrd reports every
// interval; three missed reports (and at least 10 s) mean it is gone.
std::string daemon_liveness(const DaemonRow& row) {
    if (!row.pid) return "not running";
    double allowed = std::max(10.0, 3.0 * row.interval_secs.value_or(2));
    return row.seconds_since_seen && *row.seconds_since_seen <= allowed ? "running"
                                                                        : "not reporting";
}

void answer(ClusterNodeStatus& n, bool answers, std::string via) {
    if (n.answers) return;  // the first, most direct, observation wins
    n.answers = answers;
    n.seen_via = std::move(via);
}

}  // namespace

ClusterStatus build_cluster_status(const Snapshot& s, const DaemonStatus& self,
                                   const ClusterOverview* overview,
                                   std::optional<int> primary_link_id) {
    ClusterStatus c;
    c.primary_id = seen_primary(s, primary_link_id);
    for (const auto& r : s.nodes) {
        ClusterNodeStatus n;
        n.node_id = r.id;
        n.name = r.name;
        n.registered_role = std::string(node_role_label(r.type));
        n.role = n.registered_role;
        n.active = r.active;
        n.priority = r.priority;
        n.location = r.location;
        n.upstream_id = r.upstream_node_id;
        c.nodes.push_back(std::move(n));
    }
    auto find = [&c](std::optional<int> id) -> ClusterNodeStatus* {
        if (!id) return nullptr;
        for (auto& n : c.nodes)
            if (n.node_id == *id) return &n;
        return nullptr;
    };

    if (ClusterNodeStatus* me = find(s.node_id)) {
        answer(*me, s.local.reachable, "this node");
        if (s.local.reachable && me->registered_role != "witness") {
            me->role = s.local.in_recovery ? "standby" : "primary";
            if (me->role != me->registered_role)
                me->notes.push_back(fmt::format("registered as {}, but its server {}",
                                                me->registered_role,
                                                s.local.in_recovery ? "is in recovery"
                                                                    : "is not in recovery"));
        }
        me->lag_bytes = self.lag_bytes;
        me->lag_seconds = self.lag_seconds;
        if (s.streams_from_other)
            me->notes.push_back(fmt::format("streams from node {}, not from its recorded upstream",
                                            *s.streams_from_other));
    }
    if (s.upstream_id)
        if (ClusterNodeStatus* up = find(s.upstream_id))
            answer(*up, s.upstream.reachable, fmt::format("upstream of node {}", s.node_id));
    if (c.primary_id && *c.primary_id != s.node_id)
        if (ClusterNodeStatus* p = find(c.primary_id)) {
            bool seen_writable = *c.primary_id == s.primary_elsewhere ||
                                 (s.failover && *c.primary_id == s.failover->running_primary_id) ||
                                 *c.primary_id == primary_link_id;
            if (seen_writable) {
                answer(*p, true, "answers as the writable primary");
                p->role = "primary";
                if (p->registered_role != "primary")
                    p->notes.push_back(fmt::format("answers as the writable primary; the "
                                                   "metadata here still registers it as {}",
                                                   p->registered_role));
            }
        }
    if (s.primary_view && s.primary_view->rival_id)
        if (ClusterNodeStatus* rival = find(s.primary_view->rival_id))
            rival->notes.push_back(fmt::format("runs as primary on timeline {}, newer than node {}'s",
                                               s.primary_view->rival_timeline, s.node_id));

    if (overview) {
        for (const auto& d : overview->downstream)
            for (auto& n : c.nodes) {
                if (n.name != d.application_name) continue;
                answer(n, true, fmt::format("streams from node {}", s.node_id));
                n.lag_bytes = d.lag_bytes;
                n.lag_seconds = d.lag_seconds;
                n.replication = d.sync_state.empty() ? d.state
                                                     : fmt::format("{} ({})", d.state, d.sync_state);
            }
        for (const auto& row : overview->daemons)
            if (ClusterNodeStatus* n = find(row.node_id)) {
                n->daemon = daemon_liveness(row);
                n->daemon_state = row.state;
                n->daemon_reason = row.reason;
                n->daemon_report_age = row.seconds_since_seen;
                n->paused = row.paused;
            }
        for (const auto& e : overview->events) {
            ClusterNodeStatus* n = find(e.node_id);
            c.events.push_back(ClusterEventStatus{e.node_id, n ? n->name : "", e.event,
                                                  e.successful, e.time, e.details});
        }
    }
    if (s.role == NodeRole::Primary && s.local.reachable && !s.local.in_recovery)
        for (const auto& name : s.expected_standbys)
            if (std::find(s.attached_standbys.begin(), s.attached_standbys.end(), name) ==
                s.attached_standbys.end())
                for (auto& n : c.nodes)
                    if (n.name == name && n.replication.empty()) n.replication = "not streaming here";
    // This repmgrd's own decision is fresher than its last report on the primary.
    if (ClusterNodeStatus* me = find(s.node_id)) {
        me->daemon = "running";
        me->daemon_state = self.state;
        me->daemon_reason = self.reason;
        me->daemon_report_age = 0;
        me->paused = self.paused;
    }

    // The tree: the primary as this node sees it at the root, a standby under
    // the node it streams from as far as this node knows, a witness apart.
    for (auto& n : c.nodes) {
        if (n.node_id == c.primary_id || n.role == "witness") continue;
        if (n.node_id == s.node_id && s.streams_from_other)
            n.tree_upstream_id = s.streams_from_other;
        else if (n.upstream_id && find(n.upstream_id))
            n.tree_upstream_id = n.upstream_id;
        else if (n.role == "standby")
            n.tree_upstream_id = c.primary_id;
        // A record naming itself as its own upstream is no edge of the tree.
        if (n.tree_upstream_id == n.node_id) n.tree_upstream_id.reset();
    }
    return c;
}

}  // namespace repmgr::repmgrd
