#include "daemon/state_machine.hpp"

namespace repmgr::repmgrd {
namespace {

constexpr Transition kTransitions[] = {
    // A node whose own server is down cannot judge anyone else: whatever we
    // were doing, wait for the local server first.
    {State::Monitoring, Trigger::LocalLost, State::LocalDown, "local server stopped answering"},
    {State::UpstreamLost, Trigger::LocalLost, State::LocalDown, "local server stopped answering"},
    {State::UpstreamFailed, Trigger::LocalLost, State::LocalDown, "local server stopped answering"},
    {State::LocalDown, Trigger::LocalBack, State::Monitoring, "local server answers again"},
    // The upstream: a failed check starts counting, enough failures in a row
    // declare it failed (where failover will begin), any answer resets.
    {State::Monitoring, Trigger::UpstreamLost, State::UpstreamLost, "upstream check failed"},
    {State::UpstreamLost, Trigger::AttemptsSpent, State::UpstreamFailed,
     "upstream failed every reconnect attempt"},
    {State::UpstreamLost, Trigger::UpstreamBack, State::Monitoring, "upstream answers again"},
    {State::UpstreamFailed, Trigger::UpstreamBack, State::Monitoring, "upstream answers again"},
};

constexpr State kStates[] = {State::Monitoring, State::LocalDown, State::UpstreamLost,
                             State::UpstreamFailed};

}  // namespace

std::span<const Transition> transitions() { return kTransitions; }

std::span<const State> all_states() { return kStates; }

const Transition* find_transition(State from, Trigger trigger) {
    for (const auto& t : kTransitions)
        if (t.from == from && t.trigger == trigger) return &t;
    return nullptr;
}

std::string_view state_name(State state) {
    switch (state) {
        case State::Monitoring: return "monitoring";
        case State::LocalDown: return "local-down";
        case State::UpstreamLost: return "upstream-lost";
        case State::UpstreamFailed: return "upstream-failed";
    }
    return "?";
}

std::string_view trigger_name(Trigger trigger) {
    switch (trigger) {
        case Trigger::LocalLost: return "local-lost";
        case Trigger::LocalBack: return "local-back";
        case Trigger::UpstreamLost: return "upstream-lost";
        case Trigger::UpstreamBack: return "upstream-back";
        case Trigger::AttemptsSpent: return "attempts-spent";
    }
    return "?";
}

}  // namespace repmgr::repmgrd
