#include "daemon/observe/observer.hpp"

#include <algorithm>

#include "cluster/arbiter.hpp"
#include "cluster/history.hpp"
#include "cluster/node_checks.hpp"
#include "config/conninfo.hpp"
#include "daemon/observe/probe.hpp"
#include "pg/datadir.hpp"

namespace repmgr::repmgrd {
namespace {

NodeRole role_of(const NodeRecord& n) {
    switch (n.type) {
        case NodeType::Master: return NodeRole::Primary;
        case NodeType::Standby: return NodeRole::Standby;
        case NodeType::Witness: return NodeRole::Witness;
    }
    return NodeRole::Unknown;
}

const NodeRecord* find_node(const std::vector<NodeRecord>& nodes, int id) {
    for (const auto& n : nodes)
        if (n.id == id) return &n;
    return nullptr;
}

const NodeRecord* active_primary(const std::vector<NodeRecord>& nodes) {
    for (const auto& n : nodes)  // ordered by id, as the metadata query returns them
        if (n.type == NodeType::Master && n.active) return &n;
    return nullptr;
}

}  // namespace

void Observer::observe_local(Snapshot& s, const Memory& memory, Records& r) {
    // While the local server is down, the last role and nodes read stand in.
    s.role = memory.role;
    s.nodes = memory.nodes;
    const LinkSettings settings = link_settings(ctx_.config);
    const Clock::time_point asked = Clock::now();
    if (Connection* c = links_.local.get(ctx_.config.conninfo, settings)) {
        try {
            ServerPosition pos = read_server_position(*c);
            s.positions.received_lsn = pos.received_lsn;
            s.positions.replayed_lsn = pos.replayed_lsn;
            s.nodes = NodeRepository(*c).all();
            const NodeRecord* me = find_node(s.nodes, s.node_id);
            s.role = me ? role_of(*me) : NodeRole::Unknown;
            if (s.role == NodeRole::Primary) {
                s.expected_standbys = registered_standbys_of(*c, s.node_id, true);
                s.attached_standbys = read_attached_standbys(*c);
                // Learnt while it runs: a crash report must name it.
                if (!pos.in_recovery) s.local_timeline = primary_timeline(*c);
            }
            s.local.reachable = true;
            s.local.in_recovery = pos.in_recovery;
        } catch (const Failure& f) {
            links_.local.drop(failure_text(f));
            s.local = ServerView{false, false, links_.local.error()};
        }
    } else {
        s.local.error = links_.local.error();
    }
    // Judged by the time it took: libpq's words for a timeout are translated.
    s.local.no_answer = !s.local.reachable &&
                        Clock::now() - asked >= std::chrono::seconds(settings.connect_timeout_s);
    if (!s.local.reachable && s.role == NodeRole::Primary && !ctx_.config.data_directory.empty()) {
        // A pid check, not a timeout: a frozen postmaster is still there.
        switch (postmaster_state(ctx_.config.data_directory)) {
            case PostmasterState::Running: s.local_postmaster = LocalPostmaster::Running; break;
            case PostmasterState::Stopped: s.local_postmaster = LocalPostmaster::Stopped; break;
            case PostmasterState::Crashed: s.local_postmaster = LocalPostmaster::Crashed; break;
            case PostmasterState::Unknown: break;
        }
    }
    if (const NodeRecord* p = active_primary(s.nodes)) r.primary = *p;
    const NodeRecord* me = find_node(s.nodes, s.node_id);
    if (s.role == NodeRole::Standby && me) {
        std::optional<int> up = me->upstream_node_id;
        if (!up && r.primary) up = r.primary->id;
        if (up)
            if (const NodeRecord* u = find_node(s.nodes, *up)) r.upstream = *u;
    }
}

void Observer::observe_upstream(Snapshot& s, const Memory& memory, const Records& r) {
    if (s.role != NodeRole::Standby || !r.upstream) return;
    s.upstream_id = r.upstream->id;
    Connection* c = links_.upstream.get(r.upstream->conninfo, link_settings(ctx_.config));
    if (!c) {
        s.upstream.error = links_.upstream.error();
        return;
    }
    try {
        ServerPosition pos = read_server_position(*c);
        if (!pos.in_recovery && pos.read_only_fenced && memory.state != State::Monitoring) {
            // A primary fenced read-only (isolated, or the old primary
            // restarted after a failover) does not end a failover under way:
            // it is being replaced, not back.
            s.upstream = ServerView{false, false, "upstream primary is fenced read-only"};
            return;
        }
        s.upstream.reachable = true;
        s.upstream.in_recovery = pos.in_recovery;
        if (!pos.in_recovery) {
            s.positions.primary_lsn = pos.current_lsn;
            // The failover term names the primary's timeline: learn it on
            // every check while the primary answers (a cached value outlived
            // promotions and rejoins, and made standbys claim a long-finished term).
            s.upstream_timeline = primary_timeline(*c);
        }
    } catch (const Failure& f) {
        links_.upstream.drop(failure_text(f));
        s.upstream = ServerView{false, false, links_.upstream.error()};
    }
}

void Observer::observe_primary(Snapshot& s, const Memory& memory, Records& r) {
    using Via = ServerLinks::PrimaryVia;
    links_.primary_via = Via::None;
    links_.primary_record = r.primary;
    if (s.role == NodeRole::Primary && s.local.reachable && !s.local.in_recovery) {
        links_.primary_via = Via::Local;
    } else if (s.role == NodeRole::Standby && s.upstream.reachable && !s.upstream.in_recovery) {
        links_.primary_via = Via::Upstream;
        links_.primary_record = r.upstream;
    } else if (r.primary && r.primary->id != s.node_id &&
               (s.role == NodeRole::Witness ||
                (s.role == NodeRole::Standby && r.upstream && r.upstream->id != r.primary->id))) {
        // A witness, or a cascaded standby: the primary is not our upstream.
        if (Connection* c = links_.primary_own.get(r.primary->conninfo, link_settings(ctx_.config))) {
            try {
                ServerPosition pos = read_server_position(*c);
                if (!pos.in_recovery) {
                    links_.primary_via = Via::Own;
                    s.positions.primary_lsn = pos.current_lsn;
                }
            } catch (const Failure& f) {
                links_.primary_own.drop(failure_text(f));
            }
        }
    }
    if (s.role == NodeRole::Witness && links_.primary_via == Via::None)
        find_primary_for_witness(s, r);
    // The pause flag lives on the primary: while it is gone, the last value holds.
    s.paused = memory.paused;
    if (Connection* p = links_.primary()) {
        try {
            s.paused = daemon_paused(*p, s.node_id);
        } catch (const DbError& e) {
            if (e.code() == ExitCode::DbConnection)
                links_.drop_primary(failure_text(e));
            else
                ctx_.log.warning("unable to read the pause flag: {}", failure_text(e));
        }
    }
    s.primary_writable = links_.primary() != nullptr;
}

void Observer::find_primary_for_witness(const Snapshot& s, const Records& r) {
    // The recorded primary does not answer: after a failover the new primary
    // is a node this copy of the metadata still calls a standby.
    std::vector<const NodeRecord*> candidates;
    for (const auto& n : s.nodes)
        if (n.type != NodeType::Witness && n.id != s.node_id && (!r.primary || n.id != r.primary->id))
            candidates.push_back(&n);
    const NodeRecord* best = nullptr;
    int best_timeline = 0;
    for (const auto& p : probe_nodes(candidates, ctx_.config))
        if (p.state && !p.state->in_recovery && p.state->timeline > best_timeline) {
            best = p.node;
            best_timeline = p.state->timeline;
        }
    if (!best || !links_.primary_own.get(best->conninfo, link_settings(ctx_.config))) return;
    ctx_.log.notice("the recorded primary does not answer; node {} runs as primary (timeline {}): "
                    "syncing from it",
                    best->id, best_timeline);
    links_.primary_record = *best;
    links_.primary_via = ServerLinks::PrimaryVia::Own;
}

// Which registered node this standby's WAL receiver streams from, when that
// is not the recorded upstream (decide() orders the correction).
void Observer::observe_streaming_source(Snapshot& s, const Memory& memory, const Records& r) {
    if (s.role != NodeRole::Standby || memory.state != State::Monitoring || !s.local.reachable ||
        !s.local.in_recovery || !links_.primary())
        return;
    try {
        auto rx = read_wal_receiver(links_.local.require());
        if (!rx || rx->status != "streaming") return;
        auto streams_from = [&](const NodeRecord& n) {
            Conninfo ci = Conninfo::parse(n.conninfo);
            return ci.get("host").value_or("") == rx->sender_host &&
                   (!rx->sender_port ||
                    ci.get("port").value_or("5432") == std::to_string(*rx->sender_port));
        };
        if (r.upstream && streams_from(*r.upstream)) return;  // the usual case
        for (const auto& n : s.nodes)
            if (n.id != s.node_id && n.type != NodeType::Witness && streams_from(n)) {
                s.streams_from_other = n.id;
                return;
            }
    } catch (const Failure& f) {
        ctx_.log.warning("unable to check this standby's upstream: {}", failure_text(f));
    }
}

Snapshot Observer::observe(const Memory& memory, const Tuning& tuning) {
    Snapshot s;
    s.at = Clock::now();
    s.wall = WallClock::now();
    s.node_id = ctx_.config.node_id;
    s.tuning = tuning;
    Records r;
    observe_local(s, memory, r);
    observe_upstream(s, memory, r);
    observe_primary(s, memory, r);
    observe_streaming_source(s, memory, r);
    observe_local_fence(s, memory);
    observe_crash_report(s, memory, r);
    observe_failover(s, memory, r);
    observe_primary_peers(s);
    observe_demoted(s);
    observe_zero_loss(s);
    links_.peers.close_if_idle();
    return s;
}

}  // namespace repmgr::repmgrd
