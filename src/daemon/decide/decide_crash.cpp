// decide() for crash reports, pure like the rest: a primary's repmgrd that
// finds its own postmaster gone reports it on the arbiter; a standby whose
// upstream fails believes such a report only when every rule holds, and then
// skips the reconnect attempts. Only the time to decide shrinks: the
// election, its quorum, the claim and the fences are unchanged.
#include <algorithm>

#include <fmt/format.h>

#include "daemon/decide/decide_steps.hpp"

namespace repmgr::repmgrd {
namespace {

long long ms_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

std::string seconds_text(long long ms) { return fmt::format("{:.1f} s", ms / 1000.0); }

bool is_registered_primary(const Snapshot& s, int id) {
    for (const auto& n : s.nodes)
        if (n.id == id) return n.type == NodeType::Master;
    return false;
}

}  // namespace

long long crash_report_max_age_ms(const Tuning& t) {
    long long per_check = std::max(t.reconnect_interval, t.master_response_timeout);
    return 1000LL * (t.monitor_interval_secs + t.reconnect_attempts * per_check);
}

CrashReportVerdict judge_crash_report(const Snapshot& s, const Memory& m) {
    if (!s.crash_report) return {false, "no crash report"};
    const CrashReport& r = *s.crash_report;
    const int up = s.upstream_id.value_or(0);
    if (!s.upstream_id || r.node_id != up)
        return {false, fmt::format("the newest crash report is about node {}, not about upstream "
                                   "node {}",
                                   r.node_id, up)};
    if (!is_registered_primary(s, up))
        return {false, fmt::format("upstream node {} is not the primary", up)};
    if (r.reporter_id != r.node_id)
        return {false, fmt::format("the crash report about node {} was written by node {}, not "
                                   "by node {}'s own repmgrd",
                                   up, r.reporter_id, up)};
    if (!m.primary_timeline || m.primary_timeline->node_id != up ||
        m.primary_timeline->timeline != r.timeline)
        return {false, fmt::format("the crash report of node {} names timeline {}, but this "
                                   "standby last read timeline {} from it",
                                   up, r.timeline,
                                   m.primary_timeline && m.primary_timeline->node_id == up
                                       ? std::to_string(m.primary_timeline->timeline)
                                       : "(none)")};
    if (!m.upstream_last_contact)
        return {false, fmt::format("this standby has not reached node {} since repmgrd started, "
                                   "so it cannot tell whether the crash report is current",
                                   up)};
    const long long since_contact = ms_between(*m.upstream_last_contact, s.at);
    if (r.age_ms >= since_contact)
        return {false, fmt::format("the crash report of node {} is {} old, older than this "
                                   "standby's last contact with it ({} ago): its server ran "
                                   "after the report",
                                   up, seconds_text(r.age_ms), seconds_text(since_contact))};
    if (r.age_ms > crash_report_max_age_ms(s.tuning))
        return {false, fmt::format("the crash report of node {} is {} old (more than {})", up,
                                   seconds_text(r.age_ms),
                                   seconds_text(crash_report_max_age_ms(s.tuning)))};
    return {true, fmt::format("upstream node {} crashed: its repmgrd reported its postmaster gone "
                              "{} ago (timeline {}), after this standby's last contact with it; "
                              "the failure is confirmed without waiting for reconnect_attempts",
                              up, seconds_text(r.age_ms), r.timeline)};
}

bool confirm_by_crash_report(const Snapshot& s, Step& step) {
    CrashReportVerdict v = judge_crash_report(s, step.next);
    if (!v.honoured) return false;
    Memory& m = step.next;
    // The failed check comes first in the log, even when the report was
    // already there at the first one: both are part of the story.
    step.decisions.push_back(upstream_lost_sentence(s, m));
    step.decisions.push_back(v.why);
    apply_trigger(step, Trigger::CrashReported);
    m.crash_confirmation = std::move(v.why);
    m.times.confirmed = s.wall;
    m.times.by_crash_report = true;
    return true;
}

void primary_crash_step(const Snapshot& s, Step& step) {
    Memory& m = step.next;
    for (const auto& out : s.outcomes)
        if (out.kind == ActionOutcome::Kind::CrashReport && !out.ok)
            m.crash_reported = false;  // not recorded (arbiter unreachable): try again
    // Only a crash: a frozen postmaster (its pid still there) or a clean stop
    // (postmaster.pid removed, as in a restart) is never reported.
    if (s.local.reachable || s.role != NodeRole::Primary ||
        s.local_postmaster != LocalPostmaster::Crashed) {
        m.local_crashed_since.reset();
        if (s.local.reachable) m.crash_reported = false;
        return;
    }
    if (!m.local_crashed_since) m.local_crashed_since = s.at;
    if (m.crash_reported || !m.own_timeline) return;
    if (s.at - *m.local_crashed_since < std::chrono::seconds(s.tuning.primary_restart_grace)) return;
    Action a{ActionKind::ReportCrash, {},
             fmt::format("the postmaster of node {} (primary, timeline {}) is gone and did not "
                         "come back within primary_restart_grace ({} s): reporting the crash so "
                         "that the standbys need not wait for their reconnect attempts",
                         s.node_id, *m.own_timeline, s.tuning.primary_restart_grace)};
    a.node = s.node_id;
    a.term = FailoverTerm{s.node_id, *m.own_timeline};
    // The report invites the standbys to take over at once: with
    // primary_fencing=rejoin the data directory is demoted first, so that a
    // restart (a supervisor, a reboot, a DBA) brings the server back in
    // recovery, not writable beside a new primary its repmgrd has not seen yet.
    a.on = s.tuning.primary_fencing == Tuning::Fencing::Rejoin;
    step.actions.push_back(std::move(a));
    m.crash_reported = true;
}

std::chrono::seconds crash_grace_wait(const Snapshot& s, const Memory& m,
                                      std::chrono::seconds wait) {
    if (!m.local_crashed_since || m.crash_reported) return wait;
    auto left = std::chrono::seconds(s.tuning.primary_restart_grace) -
                std::chrono::duration_cast<std::chrono::seconds>(s.at - *m.local_crashed_since);
    return std::clamp(left, std::chrono::seconds(1), wait);
}

}  // namespace repmgr::repmgrd
