// decide() for a fenced primary that must not stay writable by default only:
// demotion after fence_demote_timeout, and the way back. Pure.
#include <fmt/format.h>

#include "daemon/decide/decide_steps.hpp"

namespace repmgr::repmgrd {

void fence_demote_step(const Snapshot& s, Step& step) {
    Memory& m = step.next;
    const PrimaryView& pv = *s.primary_view;
    // Counted from the tick that saw the fence up (or asked for it).
    if (!m.fenced_since) m.fenced_since = s.at;
    if (!fence_demote_due(*m.fenced_since, s.at, s.tuning.fence_demote_timeout)) return;
    Action a{ActionKind::DemoteFenced, "repmgrd_isolation_fence_demote",
             fmt::format("node {} has been fenced for {} s or more and still sees {} of its {} "
                         "standby/witness node(s), not a majority: restarting it as a standby "
                         "(fence_demote_timeout), read-only for every session",
                         s.node_id, s.tuning.fence_demote_timeout, pv.peers_visible,
                         pv.peers_total)};
    a.term = FailoverTerm{s.node_id, pv.own_timeline};
    step.actions.push_back(std::move(a));
}

void demoted_step(const Snapshot& s, Step& step) {
    step.next.fenced_since.reset();
    if (s.paused) return;
    const DemotedView& d = *s.demoted;
    DemotedVerdict v =
        judge_demoted(s.node_id, d, s.tuning.primary_fencing == Tuning::Fencing::Rejoin);
    switch (v.kind) {
        case DemotedVerdict::Kind::Stay:
            return;
        case DemotedVerdict::Kind::Restore: {
            Action a{ActionKind::RestoreDemoted, "repmgrd_isolation_fence_restore", v.reason};
            a.term = FailoverTerm{s.node_id, d.timeline};
            step.actions.push_back(std::move(a));
            return;
        }
        case DemotedVerdict::Kind::Rejoin: {
            Action a{ActionKind::RejoinDemoted, "repmgrd_isolation_fence_restore", v.reason};
            a.node = v.node;
            step.actions.push_back(std::move(a));
            return;
        }
    }
}

}  // namespace repmgr::repmgrd
