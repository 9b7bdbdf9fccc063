// decide() for a primary: split-brain and isolation fencing. Pure.
#include <algorithm>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "daemon/decide/decide_steps.hpp"

namespace repmgr::repmgrd {

int isolation_grace_seconds(const Tuning& t) {
    int promote_earliest = std::max(0, t.reconnect_attempts - 1) * t.reconnect_interval;
    return std::max(0, promote_earliest - t.monitor_interval_secs - t.master_response_timeout);
}

namespace {

// Frozen or hung (the postmaster runs, checks get no answer) for
// guard_timeout: the standbys may promote soon (guard_wait counts
// stall_fence_bound_seconds from their last contact), and its sessions would
// write the moment it runs again.
bool stalled_past_guard(const Snapshot& s, const Memory& m) {
    return s.tuning.guard_timeout > 0 && !s.paused && s.local.no_answer &&
           s.local_postmaster == LocalPostmaster::Running && m.local_last_answer &&
           s.at - *m.local_last_answer >= std::chrono::seconds(s.tuning.guard_timeout);
}

// Why a fenced primary that sees a majority again must stay fenced: a
// standby whose election began before the heal may be promoting (its claim
// is live), or the arbiter that would show such a claim cannot be read. The
// lift itself holds this node's term on the arbiter (Effects::read_only_fence),
// which is what excludes a promotion; this spares it the attempt and says why.
std::optional<std::string> fence_lift_held(const Snapshot& s, const PrimaryView& pv) {
    const ArbiterView& a = pv.own_term;
    if (a.required && !a.reachable)
        return fmt::format("node {} sees {} of {} standby/witness node(s) again but cannot read "
                           "the {}, where a standby may have claimed its failover: the read-only "
                           "fence stays until the {} answers",
                           s.node_id, pv.peers_visible, pv.peers_total, a.name, a.name);
    if (a.claim && a.claim->holder != s.node_id && !a.claim->expired)
        return fmt::format("node {} sees {} of {} standby/witness node(s) again, but node {} has "
                           "claimed its failover (timeline {}) on the {}: the read-only fence "
                           "stays; this node follows node {} once it is promoted, or lifts the "
                           "fence if the claim is given up or expires",
                           s.node_id, pv.peers_visible, pv.peers_total, a.claim->holder,
                           pv.own_timeline, a.name, a.claim->holder);
    return std::nullopt;
}

}  // namespace

void local_down_fence_step(const Snapshot& s, Step& step) {
    Memory& m = step.next;
    const bool frozen = s.local_postmaster == LocalPostmaster::Running;
    if (stalled_past_guard(s, m) && !m.demote_quit_queued) {
        // The guard's promise (guard_timeout), kept by repmgrd itself: the
        // guard only watches repmgrd, and a frozen server cannot be made
        // read-only. A stop queued now is delivered before it runs again;
        // it then starts as a standby and comes back as the primary, or
        // rejoins the one that took over (demoted_step).
        auto since = std::chrono::duration_cast<std::chrono::milliseconds>(
            s.at - *m.local_last_answer);
        Action a{ActionKind::PreFence, {},
                 fmt::format("node {} (registered primary): its server has not answered for "
                             "{:.1f} s while its postmaster runs (frozen or hung; guard_timeout "
                             "{} s): the standbys may promote, so an immediate stop is queued and "
                             "it starts again as a standby",
                             s.node_id, since.count() / 1000.0, s.tuning.guard_timeout)};
        a.node = s.primary_elsewhere.value_or(0);
        a.term = FailoverTerm{s.node_id, m.own_timeline.value_or(0)};
        a.on = true;
        step.actions.push_back(std::move(a));
        m.prefenced = true;
        m.prefence_demoted = true;
        m.demote_quit_queued = true;
    }
    // A primary whose server stops answering is fenced at once, before a
    // standby could be promoted: if the server was only frozen (SIGSTOP,
    // a stalled disk) it would otherwise wake up writable beside the new
    // primary. The fence is lifted once it answers, sees a majority and no
    // other primary (fencing_step).
    bool guard = s.tuning.isolation_fencing && !s.paused;
    bool demote = s.primary_elsewhere && !m.prefence_demoted;
    if ((!m.prefenced && (s.primary_elsewhere || guard)) || demote) {
        step.actions.push_back(
            {ActionKind::PreFence, {},
             s.primary_elsewhere
                 ? fmt::format("node {} (registered primary) is down and node {} now runs "
                               "as primary: making this node's server start read-only",
                               s.node_id, *s.primary_elsewhere)
                 : fmt::format("node {} (registered primary) does not answer: making its "
                               "server read-only until it answers, sees a majority and no "
                               "other primary",
                               s.node_id)});
        // With another primary in place and primary_fencing=rejoin, a
        // server that is not running starts as a demoted standby (the
        // read-only default alone is no fence), which repmgrd rejoins.
        bool rejoin = s.tuning.primary_fencing == Tuning::Fencing::Rejoin;
        if (rejoin) step.actions.back().node = s.primary_elsewhere.value_or(0);
        step.actions.back().term = FailoverTerm{s.node_id, m.own_timeline.value_or(0)};
        // Frozen: its sessions would write the moment it runs again. An
        // immediate stop is queued instead.
        step.actions.back().on = rejoin && s.primary_elsewhere && frozen;
        m.prefenced = true;
        m.prefence_demoted = s.primary_elsewhere.has_value();
        m.demote_quit_queued = step.actions.back().on;
    }
    bool stopped = s.local_postmaster == LocalPostmaster::Stopped ||
                   s.local_postmaster == LocalPostmaster::Crashed;
    if (m.demote_quit_queued && stopped && !s.paused) {
        step.actions.push_back({ActionKind::StartDemoted, {},
                                fmt::format("node {} was stopped by its fence: starting it as a "
                                            "standby",
                                            s.node_id)});
        m.demote_quit_queued = false;
    }
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
    if (s.leadership && !s.paused) {
        lease_fencing_step(s, step);
        return;
    }
    if (!pv || s.paused) return;
    // Voting members as the standbys count them: the standbys, the witness and this primary.
    bool majority = sees_majority(pv->peers_visible, pv->peers_total);
    // Fenced when the standbys could elect a new primary without this one:
    // the members it cannot see, with the witness (which answers everyone),
    // are a majority. Standbys that are merely down, with the witness down
    // too, are no reason to stop writing.
    bool exposed = pv->peers_total > 0 && !majority &&
                   others_could_elect(pv->peers_visible, pv->peers_total, pv->witness_visible);
    if (!exposed) {
        m.peers_lost_since.reset();
        if (!majority) return;
        if (pv->fenced_read_only) {
            if (auto held = fence_lift_held(s, *pv)) {
                if (!m.fence_lift_held)
                    step.actions.push_back({ActionKind::LogWarning, {}, std::move(*held)});
                m.fence_lift_held = true;
                return;
            }
        }
        m.fence_lift_held = false;
        m.fenced_since.reset();  // a fenced primary stays fenced until it sees a majority
        if (m.state == State::Isolated) apply_trigger(step, Trigger::PeersBack);
        if (pv->fenced_read_only) {
            step.actions.push_back({ActionKind::ReadOnlyFence, {},
                                    fmt::format("node {} sees {} of {} standby/witness node(s) "
                                                "and no other primary: lifting the read-only "
                                                "fence",
                                                s.node_id, pv->peers_visible, pv->peers_total),
                                    true, 0, false});
            step.actions.back().term = FailoverTerm{s.node_id, pv->own_timeline};
        }
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
                 pv->peers_visible == 0
                     ? fmt::format("node {} sees none of its {} standby/witness node(s): making "
                                   "it read-only before a standby can be promoted",
                                   s.node_id, pv->peers_total)
                 : pv->witness_visible
                     ? fmt::format("node {} sees only {} of its {} standby/witness node(s), the "
                                   "witness among them: the standbys it cannot see could elect "
                                   "a new primary with the witness, so it is made read-only "
                                   "before a standby can be promoted",
                                   s.node_id, pv->peers_visible, pv->peers_total)
                     : fmt::format("node {} sees only {} of its {} standby/witness node(s): the "
                                   "ones it cannot see are a majority and could elect a new "
                                   "primary, so it is made read-only before a standby can be "
                                   "promoted",
                                   s.node_id, pv->peers_visible, pv->peers_total),
                 true, 0, true});
        fence_demote_step(s, step);
    }
}

}  // namespace repmgr::repmgrd
