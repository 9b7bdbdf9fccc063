#pragma once

// Internal to decide(): the pieces shared by decide.cpp (monitoring) and
// decide_failover.cpp (election, promotion, following, fencing).

#include "daemon/decide/decide.hpp"

namespace repmgr::repmgrd {

// Appends a repl_events row + notification to the step.
void add_event(Step& step, std::string event, std::string details, bool ok = true);
// Records a failover decision: the sentence of the state it leads to, and
// one NOTICE line when it differs from the previous one.
void set_decision(Step& step, std::string why);
// Moves the state when the table allows (from, trigger); ignored otherwise.
void apply_trigger(Step& step, Trigger trigger);

// Standby in a failover state (UpstreamFailed ... Degraded, Promoting).
void failover_step(const Snapshot& s, Step& step);
// Primary: split-brain and isolation fencing.
void fencing_step(const Snapshot& s, Step& step);
// Primary with arbiter=etcd: fenced when its leader lease may lapse or
// another node holds the key; lifted when it holds the key again
// (decide_lease.cpp). Replaces the majority rule of fencing_step.
void lease_fencing_step(const Snapshot& s, Step& step);
// Primary whose server does not answer: fenced (read-only, demoted, a stop
// queued when frozen) before a standby can take over (decide_fencing.cpp).
void local_down_fence_step(const Snapshot& s, Step& step);
// Primary fenced by isolation: demoted once fence_demote_timeout has passed
// (decide_fence_demote.cpp).
void fence_demote_step(const Snapshot& s, Step& step);
// A primary demoted by its fence: back as the primary, rejoined, or waiting.
void demoted_step(const Snapshot& s, Step& step);
// "upstream node N does not answer (...): check k/n, next in s": the reason
// while counting reconnect attempts.
std::string upstream_lost_sentence(const Snapshot& s, const Memory& m);
// decide_crash.cpp: a standby believes its primary's crash report (moves to
// UpstreamFailed, true) or not; a primary reports its own server's crash.
bool confirm_by_crash_report(const Snapshot& s, Step& step);
void primary_crash_step(const Snapshot& s, Step& step);
// The tick's wait, shortened so that the grace's end is looked at in time.
std::chrono::seconds crash_grace_wait(const Snapshot& s, const Memory& m,
                                      std::chrono::seconds wait);
// A sentence for the failover and fencing states; empty for the others.
std::string failover_reason(const Snapshot& s, const Memory& m);

}  // namespace repmgr::repmgrd
