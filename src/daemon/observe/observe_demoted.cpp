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
        if (d.timeline == 0) d.timeline = standby_timeline(links_.local.require());
        PeerTally peers = probe_peers(links_.peers, s.nodes, s.node_id, ctx_.config);
        d.peers_visible = peers.visible;
        d.peers_total = peers.total;
        if (peers.primary_id != 0) d.primary_elsewhere = peers.primary_id;
        s.demoted = d;
    } catch (const Failure& f) {
        ctx_.log.warning("unable to observe the cluster for the demoted primary: {}",
                         failure_text(f));
    }
}

}  // namespace repmgr::repmgrd
