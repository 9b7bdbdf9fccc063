#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "daemon/decide/snapshot.hpp"
#include "daemon/decide/state_machine.hpp"

namespace repmgr::repmgrd {

// Timeline `timeline` as last read from primary `node_id`.
struct TimelineSeen {
    int node_id = 0;
    int timeline = 0;
};

// The milestones of a failover episode on this standby (wall clock: they are
// reported, never compared), carried into the promotion's timeline.
struct FailoverTimes {
    std::optional<WallClock::time_point> last_contact;  // the upstream last answered
    std::optional<WallClock::time_point> noticed;       // first failed check
    std::optional<WallClock::time_point> confirmed;     // declared failed
    std::optional<WallClock::time_point> decided;       // this node won the election
    bool by_crash_report = false;  // confirmed by the primary's crash report
};

// What repmgrd remembers from one tick to the next: everything a decision
// depends on besides the snapshot. The observer reads it too, for what it
// cannot see this tick (the role and the nodes while the local server is
// down, the pause flag while the primary is gone, the failed primary's
// timeline).
struct Memory {
    State state = State::Monitoring;
    NodeRole role = NodeRole::Unknown;   // last known: kept while the local server is down
    bool paused = false;                 // last read from the primary: kept while it is gone
    std::vector<NodeRecord> nodes;       // repl_nodes last read from the local server
    std::optional<TimelineSeen> primary_timeline;  // the upstream primary's, read while it answered
    int upstream_failures = 0;           // consecutive failed upstream checks
    bool start_recorded = false;
    // Last seen reachability, for the disconnect/reconnect events. Starts as
    // "up" so that a server already down at start-up is reported.
    bool local_was_up = true;
    bool upstream_was_up = true;
    std::optional<int> upstream_id;      // the upstream those flags are about
    std::optional<Clock::time_point> last_witness_sync;
    std::vector<std::string> missing_standbys;  // last reported (primary only)
    // failover episode (reset when back to Monitoring)
    std::optional<int> leader_id;                       // the node we wait for / follow
    std::optional<Clock::time_point> leader_since;      // when we started waiting for it
    std::optional<Clock::time_point> last_election;
    bool abort_recorded = false;                        // repmgrd_failover_abort once per episode
    bool manual_reported = false;                       // standby_disconnect_manual once
    int follow_ticks = 0;                               // ticks spent in Following
    std::string last_decision;                          // the latest failover sentence
    // standby: when the upstream last answered (judges a crash report's age)
    std::optional<Clock::time_point> upstream_last_contact;
    std::optional<Clock::time_point> last_counted_check;  // the latest failed check counted as an attempt
    FailoverTimes times;                                // this episode's milestones
    std::string crash_confirmation;                     // a crash report confirmed the failure: why
    std::string reason;                                 // the previous tick's reason
    // primary
    bool split_brain_recorded = false;
    bool prefenced = false;             // read-only written into the stopped data directory
    bool prefence_demoted = false;      // and, another node being primary, standby.signal
    bool demote_quit_queued = false;    // and, the server being frozen, an immediate stop queued
    std::optional<Clock::time_point> local_last_answer;  // the local server's last answered check
    std::optional<Clock::time_point> peers_lost_since;  // isolation: when the last peer vanished
    std::optional<Clock::time_point> fenced_since;      // isolation: when the read-only fence went up
    bool fence_lift_held = false;       // a majority is back, but a standby's claim holds the fence
    // arbiter=etcd: until when the leader lease surely lasts (its last
    // renewal's start + its length), and whether a failed renewal was logged
    std::optional<Clock::time_point> lease_until;
    bool lease_renew_failing = false;
    bool failsafe_active = false;       // etcd_failsafe keeps it writable without its lease
    std::optional<int> own_timeline;    // the timeline this primary writes on, last read
    std::optional<Clock::time_point> local_crashed_since;  // postmaster gone (pid check) since
    bool crash_reported = false;        // this crash was reported on the arbiter
    std::optional<Lsn> primary_last_lsn;  // standby: the primary's position, last read
    std::optional<NarrowMark> zero_loss_mark;  // zero loss: waiting to narrow the record
    std::string zero_loss_reason;       // the last zero-loss sentence logged
};

enum class ActionKind {
    RecordEvent,   // repl_events row (on the primary when reachable) + notification
    Heartbeat,     // repl_daemon row on the primary: pid, last seen
    WriteHistory,  // repl_monitor row on the primary
    SyncWitness,   // copy repl_nodes from the primary into the witness's database
    LogWarning,    // something a DBA should see, not an event
    PromoteSelf,   // claim the term on the witness, re-check the siblings, promote
    Follow,        // follow `node` (follow_command or the built-in follow)
    FencePrimary,  // split brain: stop (and rejoin to `node`) this primary
    ReadOnlyFence, // isolation: `on` = make this primary read-only, else lift it
    PreFence,      // local server down, another node is primary: make it start read-only
    RecordOwnPromotion,  // a registered standby runs as primary: record it in the metadata
    RecordUpstream,      // the metadata names another upstream than the one streamed from: record `node`
    ReportCrash,         // primary: report the crash of its own server on the arbiter (`term`)
    DemoteFenced,        // isolated primary still fenced: restart it as a standby (`term`: its own)
    RestoreDemoted,      // demoted primary with a majority: claim `term` on the arbiter, promote
    RejoinDemoted,       // demoted primary, `node` is primary: rejoin it (pg_rewind)
    StartDemoted,        // a frozen primary stopped by its fence: start it (as a standby)
    RecordZeroLoss,      // primary: write the zero-loss candidates `ids` (local, then witness)
    SetSyncNames,        // primary: synchronous_standby_names := `value`
};

struct Action {
    ActionKind kind;
    std::string event;    // RecordEvent: event name
    std::string details;  // RecordEvent details / LogWarning text / why, for the others
    bool successful = true;
    // RecordEvent: the node to record it on (0: the primary); PromoteSelf: the
    // failed primary; Follow/FencePrimary: the new primary; RecordUpstream: the upstream
    int node = 0;
    // ReadOnlyFence; PreFence: demote on disk, and queue an immediate stop if
    // frozen; ReportCrash: demote the data directory on disk before reporting
    bool on = false;
    // PromoteSelf: the term, and the holder of an expired claim to take over
    FailoverTerm term;
    std::optional<int> take_over_from;
    FailoverTimes times;  // PromoteSelf: the episode so far, for the promotion's timeline
    std::vector<int> ids; // RecordZeroLoss: the candidates
    std::string value;    // SetSyncNames: the new synchronous_standby_names
};

// decide()'s answer: what to do now, what to remember, when to look again,
// and why, as a sentence for the log, /status and "repmgr daemon status".
struct Step {
    Memory next;
    std::vector<Action> actions;
    std::vector<std::string> transitions;  // "from X to Y: comment", one per state change
    std::string reason;
    // Every failover decision taken in this tick, in order: a tick can elect,
    // find the winner ready and follow it at once; each is one NOTICE line.
    std::vector<std::string> decisions;
    bool reason_changed = false;  // worth a NOTICE: changed, outside plain monitoring
    std::chrono::seconds wait{1};
};

// Pure: no I/O, no clock reads. The same snapshot and memory always give the
// same step.
Step decide(const Snapshot& snapshot, const Memory& memory);

// How long to wait before the next tick in `state`.
std::chrono::seconds wait_for(State state, const Tuning& tuning);

std::string_view role_name(NodeRole role);

// Whether a standby believes the crash report in the snapshot: it must name
// the node the standby considers the primary (its upstream, registered as
// primary), be written by that node's own repmgrd, on the timeline last read
// from it, after the standby's last contact with it and within
// crash_report_max_age_ms. `why` says which rule decided.
struct CrashReportVerdict {
    bool honoured = false;
    std::string why;
};
CrashReportVerdict judge_crash_report(const Snapshot& s, const Memory& m);
// A report older than this brings nothing: by then the reconnect attempts
// (reconnect_attempts x reconnect_interval after a check up to
// monitor_interval_secs late, each up to master_response_timeout) are over.
long long crash_report_max_age_ms(const Tuning& tuning);

// Seconds an isolated primary waits before fencing itself: the standbys can
// promote (reconnect_attempts - 1) * reconnect_interval seconds after their
// first failed check at the earliest; the primary notices the isolation up to
// monitor_interval_secs late and its own probe may take master_response_timeout.
// What is left of that budget is the grace period (0 with the defaults: fence
// at the first tick that sees nobody).
int isolation_grace_seconds(const Tuning& tuning);

// Seconds a failover claim's winner has, from its claim on the witness to its
// confirmation right before promoting. In between it probes its siblings
// (connect + query, each bounded by master_response_timeout) and opens its
// own promotion connection (one more). Past that bound, with no confirmation,
// its repmgrd is taken to be dead or stuck, and the best other candidate may
// take the claim over (the confirmation then fails: it cannot promote late).
int claim_confirm_seconds(const Tuning& tuning);

}  // namespace repmgr::repmgrd
