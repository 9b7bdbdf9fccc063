// What failover and fencing need to see: a standby's view of its siblings
// and of the arbiter once its upstream has failed, a primary's view of the
// other nodes, and whether a downed primary has been replaced.
#include <algorithm>

#include "cluster/arbiter.hpp"
#include "daemon/observe/observer.hpp"
#include "daemon/observe/probe.hpp"

namespace repmgr::repmgrd {

void Observer::observe_local_fence(Snapshot& s, const Memory& memory) {
    if (s.local.reachable && (s.role == NodeRole::Primary || s.role == NodeRole::Standby)) {
        try {
            s.local_fenced = read_only_fence_on(links_.local.require());
        } catch (const Failure& f) {
            ctx_.log.warning("unable to read default_transaction_read_only: {}", failure_text(f));
        }
        return;
    }
    // A registered primary whose server is down: is someone else primary now?
    if (s.local.reachable || s.role != NodeRole::Primary || memory.prefence_demoted) return;
    std::vector<const NodeRecord*> others;
    for (const auto& n : s.nodes)
        if (n.id != s.node_id && n.type != NodeType::Witness) others.push_back(&n);
    for (const auto& p : probe_nodes(others, ctx_.config))
        if (p.state && !p.state->in_recovery) s.primary_elsewhere = p.node->id;
}

// Only while a crash report can still shorten the wait: the upstream does
// not answer and the reconnect attempts are not over.
void Observer::observe_crash_report(Snapshot& s, const Memory& memory, const Records& r) {
    bool counting = memory.state == State::Monitoring || memory.state == State::UpstreamLost;
    if (s.role != NodeRole::Standby || !s.local.reachable || !r.upstream || s.upstream.reachable ||
        !counting)
        return;
    s.crash_report = arbiters_.for_nodes(s.nodes).read_crash_report();
}

void Observer::observe_failover(Snapshot& s, const Memory& memory, const Records& r) {
    // A crash report may confirm the failure in this very tick: then the
    // election needs its view now.
    bool wanted = s.role == NodeRole::Standby && s.local.reachable && r.upstream &&
                  !s.upstream.reachable &&
                  (memory.state != State::Monitoring || s.tuning.reconnect_attempts <= 1 ||
                   (s.crash_report && s.crash_report->node_id == r.upstream->id));
    if (!wanted && memory.state != State::Promoting) return;
    if (!s.local.reachable || !r.upstream) return;
    try {
        Connection& local = links_.local.require();
        const NodeRecord& failed = *r.upstream;
        FailoverView f;
        f.upstream_was_primary = failed.type == NodeType::Master;
        f.term.failed_primary_id = failed.id;
        // Every standby must name the same term: the primary's timeline as
        // last read from it, checked against the newest this standby knows.
        int last_read = memory.primary_timeline && memory.primary_timeline->node_id == failed.id
                            ? memory.primary_timeline->timeline
                            : 0;
        f.term.timeline = std::max(last_read, standby_timeline(local));
        ElectionInput& e = f.election;
        e.self_id = s.node_id;
        e.failed_primary_id = failed.id;
        e.primary_location = failed.location;

        PeerState mine = read_peer_state(local, receiver_freshness_s(ctx_.config));
        CandidateView self;
        self.node_id = s.node_id;
        self.priority = ctx_.config.priority;
        self.location = ctx_.config.location.empty() ? "default" : ctx_.config.location;
        for (const auto& n : s.nodes)
            if (n.id == s.node_id) {
                self.priority = n.priority;
                self.location = n.location;
            }
        self.reachable = true;
        self.sees_primary = mine.streaming;
        self.in_recovery = mine.in_recovery;
        self.received_lsn = mine.received_lsn;
        e.standbys.push_back(self);

        std::vector<const NodeRecord*> others;
        const NodeRecord* witness = nullptr;
        for (const auto& n : s.nodes) {
            if (n.id == s.node_id || n.id == failed.id) continue;
            if (n.type == NodeType::Witness) {
                if (n.active) witness = &n;
                continue;
            }
            others.push_back(&n);
        }
        int best_timeline = 0;
        int heartbeat_of = ctx_.config.failover_max_lag_secs > 0 ? failed.id : 0;
        for (const auto& p : links_.peers.probe(others, ctx_.config, heartbeat_of)) {
            const NodeRecord& n = *p.node;
            bool sibling = n.type == NodeType::Standby && n.active &&
                           n.upstream_node_id.value_or(failed.id) == failed.id;
            if (sibling) {
                CandidateView v;
                v.node_id = n.id;
                v.priority = n.priority;
                v.location = n.location;
                v.reachable = p.state.has_value();
                if (p.state) {
                    v.sees_primary = p.state->streaming;
                    v.in_recovery = p.state->in_recovery;
                    v.received_lsn = p.state->received_lsn;
                    v.heartbeat_epoch = p.heartbeat_epoch;
                }
                e.standbys.push_back(v);
            }
            if (p.state && !p.state->in_recovery && p.state->timeline > best_timeline) {
                best_timeline = p.state->timeline;
                f.running_primary_id = n.id;
            }
        }
        zero_loss_election(s, memory, local, e);
        Arbiter& arbiter = arbiters_.for_nodes(s.nodes);
        f.arbiter = arbiter.read(f.term);
        e.quorum_by_arbiter = f.arbiter.quorum && f.arbiter.reachable;
        if (witness) {
            e.has_witness = true;
            e.witness_location = witness->location;
            // The witness arbiter's answer doubles as the witness's vote.
            e.witness_reachable = f.arbiter.reachable;
            if (!e.witness_reachable)
                ctx_.log.debug("witness node {} not reachable", witness->id);
        }
        s.failover = std::move(f);
    } catch (const Failure& fl) {
        ctx_.log.warning("unable to observe the cluster for failover: {}", failure_text(fl));
    }
}

void Observer::observe_primary_peers(Snapshot& s) {
    if (s.role != NodeRole::Primary || !s.local.reachable || s.local.in_recovery) return;
    bool some_missing = false;
    for (const auto& name : s.expected_standbys)
        if (std::find(s.attached_standbys.begin(), s.attached_standbys.end(), name) ==
            s.attached_standbys.end())
            some_missing = true;
    PrimaryView pv;
    pv.fenced_read_only = s.local_fenced;
    if (!some_missing && !s.tuning.isolation_fencing && !pv.fenced_read_only) return;
    try {
        pv.own_timeline = primary_timeline(links_.local.require());
        PeerTally peers = probe_peers(links_.peers, s.nodes, s.node_id, ctx_.config);
        pv.peers_visible = peers.visible;
        pv.peers_total = peers.total;
        pv.witness_visible = peers.witness_visible;
        if (peers.primary_timeline > pv.own_timeline) {
            pv.rival_id = peers.primary_id;
            pv.rival_timeline = peers.primary_timeline;
        }
        if (pv.fenced_read_only)
            pv.own_term = arbiters_.for_nodes(s.nodes).read(FailoverTerm{s.node_id, pv.own_timeline});
        s.primary_view = pv;
    } catch (const Failure& fl) {
        ctx_.log.warning("unable to look for other primaries: {}", failure_text(fl));
    }
}

}  // namespace repmgr::repmgrd
