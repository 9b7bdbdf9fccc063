#include "daemon/lease_heartbeat.hpp"

#include "cluster/failsafe.hpp"

namespace repmgr::repmgrd {
namespace {

const char* role_text(NodeRole role) {
    switch (role) {
        case NodeRole::Primary: return "primary";
        case NodeRole::Standby: return "standby";
        case NodeRole::Witness: return "witness";
        default: return "unknown";
    }
}

}  // namespace

void LeaseHeartbeat::beat(Arbiter& arbiter, Snapshot& s, const Memory& memory) {
    const Config& c = ctx_.config;
    bool writable_primary =
        s.role == NodeRole::Primary && s.local.reachable && !s.local.in_recovery;
    // Read-only (fenced) counts as writable here: only the key makes it
    // writable again.
    if (writable_primary) {
        Leadership l = arbiter.hold_leadership(s.node_id, true);
        if (l.applies) s.leadership = l;
        if (l.applies && !l.held && !l.reachable && c.etcd_failsafe) {
            if (Connection* local = links_.local.current()) {
                try {
                    if (auto promises = read_failsafe_pledges(*local, s.node_id)) {
                        std::vector<FailsafePromise> v;
                        for (const auto& p : *promises) v.push_back({p.node_id, p.age_s});
                        s.failsafe_promises = std::move(v);
                    }
                } catch (const Failure& f) {
                    // No promises read: decide() fences as without failsafe.
                    ctx_.log.warning("unable to read the standbys' failsafe promises: {}",
                                     failure_text(f));
                }
            }
        }
    }
    // A primary that just failed to reach etcd does not try again this tick:
    // another call's timeout would only bring its fence closer to the lease's end.
    if (!(s.leadership && !s.leadership->reachable)) {
        NodeReport r{s.node_id,        c.node_name,      role_text(s.role), s.upstream_id,
                     s.local.reachable, s.local.in_recovery, memory.reason};
        ArbiterAnswer reported = arbiter.report_node(r);
        if (c.etcd_failsafe && s.role == NodeRole::Standby) promise_if_cut_off(arbiter, s, reported);
    }
    if (s.leadership)
        s.leadership->answered_after_s =
            std::chrono::duration<double>(Clock::now() - s.at).count();
}

// The promise is "I cannot reach etcd, and I will not take the leader key
// for etcd_ttl seconds". It counts from when the primary recorded it, and
// this node keeps it from after the write returned (or failed: it may have
// been recorded), so its own promise always ends later than the primary
// believes.
void LeaseHeartbeat::promise_if_cut_off(Arbiter& arbiter, const Snapshot& s,
                                        const ArbiterAnswer& reported) {
    const Config& c = ctx_.config;
    Connection* primary = links_.primary();
    int primary_id = links_.primary_record ? links_.primary_record->id : 0;
    if (reported.granted() || !primary || primary_id == 0 || primary_id == s.node_id) {
        if (promised_to_ != 0)
            ctx_.log.notice("{}: this node no longer promises node {} not to take the leader key "
                            "(its last promise lasts etcd_ttl = {} s)",
                            reported.granted() ? "etcd answers again"
                                               : "the primary cannot be reached",
                            promised_to_, c.etcd_ttl);
        promised_to_ = 0;
        return;
    }
    try {
        write_failsafe_pledge(*primary, s.node_id);
    } catch (const Failure& f) {
        ctx_.log.warning("etcd_failsafe: unable to record this node's promise on primary node {}: "
                         "{}", primary_id, failure_text(f));
    }
    arbiter.promise_no_claim(std::chrono::seconds(c.etcd_ttl));
    if (promised_to_ != primary_id)
        ctx_.log.warning("etcd does not answer this node ({}): it promises primary node {}, every "
                         "tick, not to take the leader key for etcd_ttl = {} s, so that the primary "
                         "may stay writable while etcd is down for every node (etcd_failsafe)",
                         reported.error, primary_id, c.etcd_ttl);
    promised_to_ = primary_id;
}

}  // namespace repmgr::repmgrd
