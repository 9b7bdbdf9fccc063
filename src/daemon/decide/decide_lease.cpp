// decide() for a primary whose arbiter works by lease (arbiter=etcd): the
// leader key is the quorum. Pure.
//
// The primary renews its lease every tick (daemon.cpp). It must be read-only
// before the lease can expire, since a standby may take the key from then
// on; so it fences itself when the next tick's decision could come too late:
// that tick starts a monitor interval after this one's calls end, and reaches
// its decision as late as this one did (etcd calls that time out cost the
// same every tick), or master_response_timeout in, whichever is later. A primary that
// holds the key stays writable whatever it sees of the standbys: they cannot
// promote without the key.
#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "daemon/decide/decide_steps.hpp"

namespace repmgr::repmgrd {
namespace {

// From this tick's snapshot to the latest moment the next tick decides
// (see the top of the file).
std::chrono::milliseconds lease_margin(const Snapshot& s) {
    double answered = std::max(0.0, s.leadership->answered_after_s);
    double next = answered + s.tuning.monitor_interval_secs +
                  std::max(answered, static_cast<double>(s.tuning.master_response_timeout));
    return std::chrono::milliseconds(static_cast<long>(std::ceil(next * 1000)));
}

// `lease_lapsing`: the lease this node held may run out before its next
// tick. The read-only fence is only a default that any session can turn off,
// and a standby may take the key once the lease is out, so the demotion that
// fence_demote_timeout would bring one (slow) tick later comes now.
void fence(const Snapshot& s, Step& step, std::string why, bool lease_lapsing = false) {
    Memory& m = step.next;
    if (m.state == State::Monitoring) apply_trigger(step, Trigger::LeaseLost);
    // Again on every tick until it holds (a first try can fail).
    if (!s.local_fenced) step.actions.push_back({ActionKind::ReadOnlyFence, {}, why, true, 0, true});
    if (!m.fenced_since) m.fenced_since = s.at;
    bool demote_now = lease_lapsing && s.tuning.fence_demote_timeout > 0;
    if (demote_now || fence_demote_due(*m.fenced_since, s.at, s.tuning.fence_demote_timeout)) {
        Action a{ActionKind::DemoteFenced, "repmgrd_isolation_fence_demote",
                 demote_now
                     ? fmt::format("node {} could not renew its leader lease, which may lapse "
                                   "before the next tick: restarting it as a standby now "
                                   "(fence_demote_timeout), read-only for every session",
                                   s.node_id)
                     : fmt::format("node {} has been fenced for {} s or more and still does not "
                                   "hold the leader key: restarting it as a standby "
                                   "(fence_demote_timeout), read-only for every session",
                                   s.node_id, s.tuning.fence_demote_timeout)};
        a.term = FailoverTerm{s.node_id, m.own_timeline.value_or(0)};
        step.actions.push_back(std::move(a));
    }
}

// etcd_failsafe: every other node that could take the key promised not to
// for longer than the time to this primary's next check (and the fence
// after it). Empty when it holds; else why not, for the fence's sentence.
std::string failsafe_gap(const Snapshot& s, std::chrono::milliseconds margin) {
    if (!s.failsafe_promises) return {};
    std::string without;
    for (const auto& p : *s.failsafe_promises) {
        // One second more than the lease's margin: the fence itself takes time.
        if (p.age_s && s.leadership->ttl_s - *p.age_s > margin.count() / 1000.0 + 1.0) continue;
        without += fmt::format("{}{}", without.empty() ? "" : ", ", p.node_id);
    }
    return without;
}

// Stays writable without its lease when etcd_failsafe allows it (see
// failsafe_gap); fills `why_not` when it is on but does not.
bool failsafe_keeps_writable(const Snapshot& s, Step& step, std::chrono::milliseconds margin,
                             std::string& why_not) {
    Memory& m = step.next;
    if (!s.failsafe_promises || s.local_fenced || s.leadership->reachable) {
        m.failsafe_active = false;
        return false;
    }
    std::string without = failsafe_gap(s, margin);
    if (!without.empty()) {
        why_not = fmt::format("etcd_failsafe does not keep it writable: node(s) {} did not promise "
                              "recently not to take the key (they reach etcd, or do not stream "
                              "from this node)",
                              without);
        m.failsafe_active = false;
        return false;
    }
    if (!m.failsafe_active) {
        std::string nodes;
        for (const auto& p : *s.failsafe_promises)
            nodes += fmt::format("{}{}", nodes.empty() ? "" : ", ", p.node_id);
        step.actions.push_back(
            {ActionKind::LogWarning, {},
             fmt::format("node {} cannot reach etcd ({}), but every other node ({}) streams from "
                         "it and cannot reach etcd either, and promised not to take the leader "
                         "key: this node stays writable (etcd_failsafe) while they keep promising",
                         s.node_id, s.leadership->error, nodes.empty() ? "none" : nodes)});
    }
    m.failsafe_active = true;
    m.lease_renew_failing = true;
    return true;
}

}  // namespace

void lease_fencing_step(const Snapshot& s, Step& step) {
    Memory& m = step.next;
    const Leadership& l = *s.leadership;
    using std::chrono::seconds;
    if (l.held) {
        m.lease_until = s.at + seconds(l.ttl_s);
        if (m.lease_renew_failing)
            step.actions.push_back({ActionKind::LogWarning, {},
                                    fmt::format("node {} renewed its leader lease again", s.node_id)});
        m.lease_renew_failing = false;
        m.failsafe_active = false;
        m.fenced_since.reset();
        if (m.state == State::Isolated) apply_trigger(step, Trigger::LeaseHeld);
        if (s.local_fenced) {
            step.actions.push_back({ActionKind::ReadOnlyFence, {},
                                    fmt::format("node {} holds the leader key on etcd: lifting "
                                                "the read-only fence",
                                                s.node_id),
                                    true, 0, false});
            step.actions.back().term = FailoverTerm{s.node_id, m.own_timeline.value_or(0)};
        }
        return;
    }
    if (l.reachable && l.holder != 0 && l.holder != s.node_id) {
        m.lease_renew_failing = false;
        fence(s, step,
              fmt::format("node {} holds the leader key on etcd, not this node: making this "
                          "node read-only (the standbys follow node {} once it is promoted)",
                          l.holder, l.holder));
        return;
    }
    // Not renewed: etcd unreachable, or the key vanished and could not be
    // taken back. Fenced when the lease could lapse before the next renewal.
    const auto margin = lease_margin(s);
    const std::string why_not = l.reachable ? std::string("the key is gone and was taken by nobody")
                                            : l.error;
    if (!m.lease_until || s.at + margin >= *m.lease_until) {
        std::string failsafe_why_not;
        if (failsafe_keeps_writable(s, step, margin, failsafe_why_not)) return;
        std::string more = failsafe_why_not.empty() ? "" : "; " + failsafe_why_not;
        m.lease_renew_failing = true;
        fence(s, step,
              m.lease_until
                  ? fmt::format("node {} could not renew its leader lease on etcd ({}); the lease "
                                "may lapse before the next try, and a standby may then take the "
                                "key{}: making this node read-only",
                                s.node_id, why_not, more)
                  : fmt::format("node {} does not hold the leader key on etcd ({}{}): making this "
                                "node read-only until it does",
                                s.node_id, why_not, more),
              m.lease_until.has_value());
        return;
    }
    if (!m.lease_renew_failing) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*m.lease_until - s.at);
        step.actions.push_back(
            {ActionKind::LogWarning, {},
             fmt::format("node {} could not renew its leader lease on etcd ({}); it lasts {:.1f} "
                         "s more, and this node is made read-only {:.1f} s before it ends unless "
                         "a renewal succeeds",
                         s.node_id, why_not, left.count() / 1000.0, margin.count() / 1000.0)});
    }
    m.lease_renew_failing = true;
}

}  // namespace repmgr::repmgrd
