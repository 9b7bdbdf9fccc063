#include "daemon/decide/decide.hpp"

#include "daemon/decide/decide_steps.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace repmgr::repmgrd {
namespace {

void record(Step& step, std::string event, std::string details, bool ok = true) {
    add_event(step, std::move(event), std::move(details), ok);
}

void apply(Step& step, Trigger trigger) { apply_trigger(step, trigger); }

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
    return out;
}

// Connectivity edges become events, whatever the state machine does with them.
void connectivity_events(const Snapshot& s, Step& step) {
    Memory& m = step.next;
    if (s.local.reachable != m.local_was_up) {
        if (s.local.reachable)
            record(step, "repmgrd_local_reconnect",
                   fmt::format("node {}: reconnected to the local server", s.node_id));
        else
            record(step, "repmgrd_local_disconnect",
                   fmt::format("node {}: unable to connect to the local server: {}", s.node_id,
                               s.local.error), false);
        m.local_was_up = s.local.reachable;
    }
    if (m.upstream_id != s.upstream_id) {  // new upstream (or none): start afresh
        m.upstream_id = s.upstream_id;
        m.upstream_was_up = true;
        m.upstream_failures = 0;
        m.upstream_last_contact.reset();
    }
    if (!s.upstream_id) return;
    if (s.upstream.reachable != m.upstream_was_up) {
        if (s.upstream.reachable)
            record(step, "repmgrd_upstream_reconnect",
                   fmt::format("node {}: reconnected to upstream node {}", s.node_id,
                               *s.upstream_id));
        else
            record(step, "repmgrd_upstream_disconnect",
                   fmt::format("node {}: unable to connect to upstream node {}: {}", s.node_id,
                               *s.upstream_id, s.upstream.error), false);
        m.upstream_was_up = s.upstream.reachable;
    }
}

std::string upstream_failed_sentence(const Snapshot& s, const Memory& m) {
    std::string head = !m.crash_confirmation.empty()
                           ? m.crash_confirmation
                           : fmt::format("upstream node {} has failed {} consecutive checks",
                                         s.upstream_id.value_or(0), s.tuning.reconnect_attempts);
    if (s.paused) return head + "; repmgrd is paused, so no failover action is taken";
    if (!s.tuning.automatic_failover)
        return head + "; failover=manual: waiting for the upstream to return or for a manual "
                      "\"repmgr standby promote\"/\"standby follow\"";
    return head + "; starting automatic failover";
}

// The standby's view of its upstream drives the state machine.
void standby_upstream(const Snapshot& s, Step& step) {
    Memory& m = step.next;
    if (!s.upstream_id) return;
    if (s.upstream.reachable) {
        m.upstream_failures = 0;
        m.upstream_last_contact = s.at;
        m.times.last_contact = s.wall;
        apply(step, Trigger::UpstreamBack);
        return;
    }
    // A tick sooner than reconnect_interval after the last counted attempt
    // (woken by a crash report, or a reload) looks, but is not an attempt:
    // wake-ups must never shorten the confirmation of a frozen primary.
    bool early = m.state == State::UpstreamLost && m.last_counted_check &&
                 s.at - *m.last_counted_check < std::chrono::seconds(s.tuning.reconnect_interval);
    if (!early) {
        m.upstream_failures += 1;
        m.last_counted_check = s.at;
    }
    if (m.state == State::Monitoring) {
        apply(step, Trigger::UpstreamLost);
        m.times.noticed = s.wall;
    }
    if (m.state != State::UpstreamLost) return;
    if (m.upstream_failures >= s.tuning.reconnect_attempts) {
        apply(step, Trigger::AttemptsSpent);
        m.times.confirmed = s.wall;
        return;
    }
    confirm_by_crash_report(s, step);
}

void primary_standbys(const Snapshot& s, Step& step) {
    std::vector<std::string> missing;
    for (const auto& name : s.expected_standbys)
        if (std::find(s.attached_standbys.begin(), s.attached_standbys.end(), name) ==
            s.attached_standbys.end())
            missing.push_back(name);
    if (missing != step.next.missing_standbys && !missing.empty())
        step.actions.push_back({ActionKind::LogWarning, {},
                                fmt::format("registered standby(s) not streaming from this "
                                            "primary: {}", join(missing))});
    step.next.missing_standbys = std::move(missing);
}

// The metadata must name the node this standby really streams from: a
// repmgrd killed in the middle of a follow leaves the old upstream recorded,
// and the restarted one would monitor (and fail over from) the wrong node.
void correct_upstream(const Snapshot& s, const Memory& before, Step& step) {
    if (before.state != State::Monitoring || !s.local.in_recovery || !s.streams_from_other ||
        !s.primary_writable)
        return;
    Action a{ActionKind::RecordUpstream, {},
             fmt::format("node {} streams from node {}, but the metadata names node {} as its "
                         "upstream: recording node {}",
                         s.node_id, *s.streams_from_other, s.upstream_id.value_or(0),
                         *s.streams_from_other)};
    a.node = *s.streams_from_other;
    step.actions.push_back(std::move(a));
}

// Zero data loss: one step of the plan per tick (decide/zero_loss.hpp).
void zero_loss_step(const Snapshot& s, Step& step) {
    Memory& m = step.next;
    if (s.tuning.synchronous == SyncMode::Off || !s.zero_loss || s.paused ||
        m.state != State::Monitoring)
        return;
    ZeroLossPlan plan = plan_zero_loss(s.tuning.synchronous, s.tuning.synchronous_standby_count,
                                       s.node_id, s.location, *s.zero_loss, m.zero_loss_mark);
    m.zero_loss_mark = plan.mark;
    switch (plan.kind) {
        case ZeroLossPlan::Kind::None:
            if (!plan.reason.empty() && plan.reason != m.zero_loss_reason)
                step.actions.push_back({ActionKind::LogWarning, {}, plan.reason});
            break;
        case ZeroLossPlan::Kind::WidenRecord:
        case ZeroLossPlan::Kind::NarrowRecord: {
            Action a{ActionKind::RecordZeroLoss, {}, plan.reason};
            a.ids = plan.record;
            step.actions.push_back(std::move(a));
            break;
        }
        case ZeroLossPlan::Kind::SetNames: {
            Action a{ActionKind::SetSyncNames, {}, plan.reason};
            a.value = plan.names;
            step.actions.push_back(std::move(a));
            if (plan.fallback)
                record(step, "repmgrd_synchronous_fallback",
                       fmt::format("node {}: {}", s.node_id, plan.reason));
            break;
        }
    }
    m.zero_loss_reason = plan.reason;
}

bool witness_sync_due(const Snapshot& s, const Memory& m) {
    return !m.last_witness_sync ||
           s.at - *m.last_witness_sync >= std::chrono::seconds(s.tuning.witness_sync_interval);
}

std::string reason_for(const Snapshot& s, const Step& step) {
    const Memory& m = step.next;
    switch (m.state) {
        case State::LocalDown:
            return fmt::format("local server of node {} does not answer ({}); retrying every {} s",
                               s.node_id, s.local.error, s.tuning.monitor_interval_secs);
        case State::UpstreamLost: {
            std::string r = upstream_lost_sentence(s, m);
            if (s.crash_report) r += "; crash report not used: " + judge_crash_report(s, m).why;
            return r;
        }
        case State::UpstreamFailed:
            if (m.last_decision.empty()) return upstream_failed_sentence(s, m);
            return upstream_failed_sentence(s, m) + "; " + m.last_decision;
        case State::Monitoring:
            break;
        default:
            if (std::string r = failover_reason(s, m); !r.empty()) return r;
            break;
    }
    std::string paused = s.paused ? " (paused)" : "";
    switch (s.role) {
        case NodeRole::Primary:
            if (s.local.in_recovery && s.demoted)
                return judge_demoted(s.node_id, *s.demoted,
                                     s.tuning.primary_fencing == Tuning::Fencing::Rejoin)
                           .reason + paused;
            if (s.local.in_recovery)
                return "node is registered as primary but its server is in recovery" + paused;
            return fmt::format("primary is running; {} of {} registered standby(s) attached{}",
                               s.expected_standbys.size() - m.missing_standbys.size(),
                               s.expected_standbys.size(), paused);
        case NodeRole::Standby:
            if (!s.local.in_recovery)
                return "node is registered as standby but its server is not in recovery" + paused;
            return fmt::format("standby is running; upstream node {} answers{}",
                               s.upstream_id.value_or(0), paused);
        case NodeRole::Witness:
            return fmt::format("witness is running; primary {}{}",
                               s.primary_writable ? "reachable" : "not reachable", paused);
        case NodeRole::Unknown:
            break;
    }
    return fmt::format("node {} is not registered in the cluster metadata", s.node_id);
}

}  // namespace

std::string upstream_lost_sentence(const Snapshot& s, const Memory& m) {
    return fmt::format("upstream node {} does not answer ({}): check {}/{}, next in {} s",
                       s.upstream_id.value_or(0), s.upstream.error, m.upstream_failures,
                       s.tuning.reconnect_attempts, s.tuning.reconnect_interval);
}

void add_event(Step& step, std::string event, std::string details, bool ok) {
    step.actions.push_back({ActionKind::RecordEvent, std::move(event), std::move(details), ok});
}

void set_decision(Step& step, std::string why) {
    if (why != step.next.last_decision) step.decisions.push_back(why);
    step.next.last_decision = std::move(why);
}

void apply_trigger(Step& step, Trigger trigger) {
    const Transition* t = find_transition(step.next.state, trigger);
    if (!t) return;  // not allowed from here: the table is the single authority
    step.transitions.push_back(fmt::format("from {} to {}: {}", state_name(t->from),
                                           state_name(t->to), t->comment));
    step.next.state = t->to;
}

std::string_view role_name(NodeRole role) {
    switch (role) {
        case NodeRole::Primary: return "primary";
        case NodeRole::Standby: return "standby";
        case NodeRole::Witness: return "witness";
        case NodeRole::Unknown: return "unknown";
    }
    return "unknown";
}

std::chrono::seconds wait_for(State state, const Tuning& tuning) {
    // While counting reconnect attempts the pace is reconnect_interval.
    switch (state) {
        case State::UpstreamLost: return std::chrono::seconds(std::max(1, tuning.reconnect_interval));
        // A failover in progress moves at its own pace: each tick may end it.
        case State::Electing:
        case State::Promoting:
        case State::AwaitingLeader:
        case State::Following: return std::chrono::seconds(1);
        default: return std::chrono::seconds(std::max(1, tuning.monitor_interval_secs));
    }
}

Step decide(const Snapshot& s, const Memory& memory) {
    Step step;
    step.next = memory;
    Memory& m = step.next;
    // What the observer fell back on while it could not see is what it saw
    // last: remember this tick's view for the next.
    m.role = s.role;
    m.paused = s.paused;
    m.nodes = s.nodes;
    if (s.upstream_id && s.upstream_timeline)
        m.primary_timeline = TimelineSeen{*s.upstream_id, *s.upstream_timeline};
    if (s.local_timeline) m.own_timeline = *s.local_timeline;
    if (s.role == NodeRole::Standby && s.upstream.reachable && s.positions.primary_lsn)
        if (auto lsn = parse_lsn(*s.positions.primary_lsn)) m.primary_last_lsn = *lsn;

    if (!m.start_recorded) {
        record(step, "repmgrd_start",
               fmt::format("repmgrd started monitoring node {} ({})", s.node_id, role_name(s.role)));
        m.start_recorded = true;
    }
    connectivity_events(s, step);

    primary_crash_step(s, step);
    if (!s.local.reachable) {
        apply(step, Trigger::LocalLost);
        if (s.role == NodeRole::Primary) local_down_fence_step(s, step);
    } else {
        m.local_last_answer = s.at;
        m.prefenced = false;
        m.prefence_demoted = false;
        m.demote_quit_queued = false;
        if (s.local_fenced && s.local.in_recovery && !s.paused)
            // A standby takes no writes anyway; a fence left in its
            // configuration would only bite after a later promotion.
            step.actions.push_back({ActionKind::ReadOnlyFence, {},
                                    fmt::format("node {} is a standby: lifting the read-only "
                                                "fence left in its configuration",
                                                s.node_id),
                                    true, 0, false});
        apply(step, Trigger::LocalBack);
        bool unrecorded_promotion = s.role == NodeRole::Standby && !s.local.in_recovery &&
                                    m.state != State::Promoting;
        if (unrecorded_promotion)
            // Promoted, but the metadata never said so: repmgrd died between
            // pg_promote() and the metadata update, or a DBA promoted by hand.
            // It must not go on acting as a standby that lost its upstream.
            step.actions.push_back(
                {ActionKind::RecordOwnPromotion, {},
                 fmt::format("node {} runs as a primary but is registered as a standby (a "
                             "promotion whose metadata was never written, e.g. repmgrd stopped "
                             "in the middle of a failover): recording it as the primary",
                             s.node_id)});
        else if (s.role == NodeRole::Standby) {
            correct_upstream(s, memory, step);
            standby_upstream(s, step);
        }
        if (m.state == State::Promoting || (s.role == NodeRole::Standby && in_failover(m.state)))
            failover_step(s, step);
        if (s.demoted && s.role == NodeRole::Primary && s.local.in_recovery) demoted_step(s, step);
        if (s.role == NodeRole::Primary && !s.local.in_recovery) {
            primary_standbys(s, step);
            fencing_step(s, step);
            zero_loss_step(s, step);
        } else if (m.state == State::SplitBrain || m.state == State::Isolated) {
            // No longer a primary (rejoined as a standby, or demoted by hand).
            apply(step, m.state == State::SplitBrain ? Trigger::RivalGone : Trigger::PeersBack);
        }
    }
    if (m.state == State::Monitoring) {  // an episode ended (or none began): forget it
        m.leader_id.reset();
        m.leader_since.reset();
        m.last_election.reset();
        m.abort_recorded = false;
        m.manual_reported = false;
        m.follow_ticks = 0;
        m.last_decision.clear();
        m.crash_confirmation.clear();
        m.times = FailoverTimes{m.times.last_contact, {}, {}, {}, false};
    }

    // Reporting goes on in every state: it needs only the primary.
    if (s.primary_writable) {
        step.actions.push_back({ActionKind::Heartbeat, {}, {}});
        bool positions_known = s.positions.primary_lsn && s.positions.replayed_lsn;
        if (s.role == NodeRole::Standby && s.tuning.monitoring_history && s.local.reachable &&
            s.local.in_recovery && positions_known)
            step.actions.push_back({ActionKind::WriteHistory, {}, {}});
        if (s.role == NodeRole::Witness && s.local.reachable && witness_sync_due(s, m)) {
            step.actions.push_back({ActionKind::SyncWitness, {}, {}});
            m.last_witness_sync = s.at;
        }
    }

    step.wait = crash_grace_wait(s, m, wait_for(m.state, s.tuning));
    if (m.state == State::Isolated)
        step.wait = fence_demote_wait(m.fenced_since, s.at, s.tuning.fence_demote_timeout, step.wait);
    step.reason = reason_for(s, step);
    step.reason_changed = step.reason != memory.reason && m.state != State::Monitoring;
    m.reason = step.reason;
    return step;
}

}  // namespace repmgr::repmgrd
