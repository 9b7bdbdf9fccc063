#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace repmgr::repmgrd {

// Where this node's repmgrd stands with respect to the servers it watches.
// decide() is the only caller of the table: every state change is a row.
enum class State {
    Monitoring,      // local server and upstream (if any) answer
    LocalDown,       // the local server does not answer: no decisions about others
    UpstreamLost,    // the upstream stopped answering: counting reconnect attempts
    UpstreamFailed,  // reconnect_attempts spent: the upstream is declared failed
    // standby, failover=automatic
    Electing,        // asking the siblings and the witness who should promote
    Promoting,       // this node won: claiming the term on the witness and promoting
    AwaitingLeader,  // another node won (or is already primary): waiting for it to accept writes
    Following,       // the leader accepts writes: re-pointed at it, waiting to stream
    Degraded,        // no failover possible now (no quorum, primary still seen ...): retrying
    // primary
    SplitBrain,      // another node runs as primary on a newer timeline: fencing this one
    Isolated,        // sees neither a standby nor the witness: read-only until it does
};

// What was observed that may move the state.
enum class Trigger {
    LocalLost,         // the local server stopped answering
    LocalBack,         // the local server answers again
    UpstreamLost,      // the upstream check failed
    UpstreamBack,      // the upstream answers again
    AttemptsSpent,     // the upstream failed reconnect_attempts checks in a row
    CrashReported,     // the primary's own repmgrd reported its server crashed (believed)
    StartElection,     // failover=automatic and not paused: look for a new primary
    WonElection,       // this node ranks first
    LostElection,      // another node ranks first, claimed the term, or is already primary
    ElectionAborted,   // no quorum, a sibling still sees the primary, no candidate ...
    RetryElection,     // election_rerun_interval passed, or the leader never came
    LeaderReady,       // the leader accepts writes
    Promoted,          // the local server left recovery
    PromotionFailed,   // the promotion did not happen
    FollowFailed,      // the leader accepts writes but we do not stream from it
    RivalPrimarySeen,  // another registered node is primary on a newer timeline
    RivalGone,         // no rival (any more), or this node is no longer a primary
    PeersLost,         // a primary sees no standby and no witness for too long
    PeersBack,         // it sees enough of them again
    LeaseLost,         // arbiter=etcd: its leader lease lapses, or another node holds the key
    LeaseHeld,         // it holds (and renewed) the leader key again
};

struct Transition {
    State from;
    Trigger trigger;
    State to;
    std::string_view comment;  // logged as "from X to Y: comment"
};

std::span<const Transition> transitions();
// The allowed transition for (from, trigger), or nullptr.
const Transition* find_transition(State from, Trigger trigger);
std::string_view state_name(State state);
// Every state, for table walks in tests.
std::span<const State> all_states();
// Whether `state` belongs to a failover in progress on a standby.
bool in_failover(State state);

}  // namespace repmgr::repmgrd
