// What a primary demoted by its isolation fence needs to see to come back:
// the other nodes, and whether one of them is primary now.
#include "actions/role_change.hpp"
#include "daemon/effects/demote.hpp"
#include "daemon/observe/observer.hpp"
#include "daemon/observe/probe.hpp"

namespace repmgr::repmgrd {

void Observer::observe_demoted(Snapshot& s) {
    if (s.role != NodeRole::Primary || !s.local.reachable || !s.local.in_recovery) return;
    try {
        std::string data_directory = local_data_directory(ctx_, links_.local.current());
        std::optional<int> timeline = read_fence_marker(data_directory);
        if (!timeline) return;
        DemotedView d;
        d.timeline = *timeline;
        if (d.timeline == 0) d.timeline = standby_timeline(*links_.local.current());
        std::vector<const NodeRecord*> others;
        for (const auto& n : s.nodes)
            if (n.id != s.node_id) others.push_back(&n);
        for (const auto& p : probe_nodes(others, ctx_.config)) {
            const NodeRecord& n = *p.node;
            bool peer = n.active && (n.type == NodeType::Standby || n.type == NodeType::Witness);
            if (peer) {
                d.peers_total += 1;
                if (p.state) d.peers_visible += 1;
            }
            // The witness runs a writable server of its own: not a primary.
            if (n.type != NodeType::Witness && p.state && !p.state->in_recovery)
                d.primary_elsewhere = n.id;
        }
        s.demoted = d;
    } catch (const Failure& f) {
        ctx_.log.warning("unable to observe the cluster for the demoted primary: {}",
                         failure_text(f));
    }
}

}  // namespace repmgr::repmgrd
