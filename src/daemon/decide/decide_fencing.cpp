// decide() for a primary: split-brain and isolation fencing. Pure.
#include <algorithm>

#include <fmt/format.h>

#include "daemon/decide/decide_steps.hpp"

namespace repmgr::repmgrd {

int isolation_grace_seconds(const Tuning& t) {
    int promote_earliest = std::max(0, t.reconnect_attempts - 1) * t.reconnect_interval;
    return std::max(0, promote_earliest - t.monitor_interval_secs - t.master_response_timeout);
}

void fencing_step(const Snapshot& s, Step& step) {
    Memory& m = step.next;
    const PrimaryView* pv = s.primary_view ? &*s.primary_view : nullptr;
    bool rival = pv && pv->rival_id;
    if (m.state == State::SplitBrain && !rival) {
        apply_trigger(step, Trigger::RivalGone);
        m.split_brain_recorded = false;
        return;
    }
    if (rival) {
        apply_trigger(step, Trigger::RivalPrimarySeen);
        if (!m.split_brain_recorded) {
            const char* what = s.tuning.primary_fencing == Tuning::Fencing::Rejoin
                                   ? "stopping it and rejoining it as a standby"
                               : s.tuning.primary_fencing == Tuning::Fencing::Stop
                                   ? "stopping it"
                                   : "primary_fencing=none: only reporting";
            // Recorded on the new primary: that is the metadata that lives on.
            step.actions.push_back(
                {ActionKind::RecordEvent, "repmgrd_split_brain_detected",
                      fmt::format("node {} runs as a primary on timeline {}, but node {} was "
                                  "promoted on the newer timeline {}: {}",
                                  s.node_id, pv->own_timeline, *pv->rival_id, pv->rival_timeline,
                                  what),
                      false, *pv->rival_id});
            m.split_brain_recorded = true;
        }
        if (s.tuning.primary_fencing != Tuning::Fencing::None && !s.paused)
            step.actions.push_back({ActionKind::FencePrimary, {}, {}, true, *pv->rival_id});
        return;
    }
    if (!pv || s.paused) return;
    // Voting members as the standbys count them: the standbys, the witness and this primary.
    bool majority = sees_majority(pv->peers_visible, pv->peers_total);
    if (pv->peers_visible > 0 || pv->peers_total == 0) {
        m.peers_lost_since.reset();
        if (!majority) return;
        m.fenced_since.reset();  // a fenced primary stays fenced until it sees a majority
        if (m.state == State::Isolated) apply_trigger(step, Trigger::PeersBack);
        if (pv->fenced_read_only)
            step.actions.push_back({ActionKind::ReadOnlyFence, {},
                                    fmt::format("node {} sees {} of {} standby/witness node(s) "
                                                "and no other primary: lifting the read-only "
                                                "fence",
                                                s.node_id, pv->peers_visible, pv->peers_total),
                                    true, 0, false});
        return;
    }
    if (!s.tuning.isolation_fencing) return;
    if (!m.peers_lost_since) m.peers_lost_since = s.at;
    bool isolated = m.state == State::Isolated;
    if (isolated ||
        (m.state == State::Monitoring &&
         s.at - *m.peers_lost_since >= std::chrono::seconds(isolation_grace_seconds(s.tuning)))) {
        if (!isolated) apply_trigger(step, Trigger::PeersLost);
        // Again on every tick until it holds: the first try can fail (a
        // connection lost while a commit waited for a synchronous standby).
        if (!pv->fenced_read_only)
            step.actions.push_back(
                {ActionKind::ReadOnlyFence, {},
                 fmt::format("node {} sees none of its {} standby/witness node(s): making it "
                             "read-only before a standby can be promoted",
                             s.node_id, pv->peers_total),
                 true, 0, true});
        fence_demote_step(s, step);
    }
}

}  // namespace repmgr::repmgrd
