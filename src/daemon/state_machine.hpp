#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace repmgr::repmgrd {

// Where this node's repmgrd stands with respect to the servers it watches.
// Failover plugs in after UpstreamFailed (Electing, Promoting, Following ...):
// add states and rows to the table, decide() stays the only caller.
enum class State {
    Monitoring,      // local server and upstream (if any) answer
    LocalDown,       // the local server does not answer: no decisions about others
    UpstreamLost,    // the upstream stopped answering: counting reconnect attempts
    UpstreamFailed,  // reconnect_attempts spent: the upstream is declared failed
};

// What was observed that may move the state.
enum class Trigger {
    LocalLost,      // the local server stopped answering
    LocalBack,      // the local server answers again
    UpstreamLost,   // the upstream check failed
    UpstreamBack,   // the upstream answers again
    AttemptsSpent,  // the upstream failed reconnect_attempts checks in a row
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
std::string_view trigger_name(Trigger trigger);
// Every state, for table walks in tests.
std::span<const State> all_states();

}  // namespace repmgr::repmgrd
