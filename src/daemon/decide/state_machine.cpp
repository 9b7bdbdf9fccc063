#include "daemon/decide/state_machine.hpp"

namespace repmgr::repmgrd {
namespace {

using S = State;
using T = Trigger;

constexpr Transition kTransitions[] = {
    // A node whose own server is down cannot judge anyone else: whatever we
    // were doing, wait for the local server first.
    {S::Monitoring, T::LocalLost, S::LocalDown, "local server stopped answering"},
    {S::UpstreamLost, T::LocalLost, S::LocalDown, "local server stopped answering"},
    {S::UpstreamFailed, T::LocalLost, S::LocalDown, "local server stopped answering"},
    {S::Electing, T::LocalLost, S::LocalDown, "local server stopped answering"},
    {S::Promoting, T::LocalLost, S::LocalDown, "local server stopped answering"},
    {S::AwaitingLeader, T::LocalLost, S::LocalDown, "local server stopped answering"},
    {S::Following, T::LocalLost, S::LocalDown, "local server stopped answering"},
    {S::Degraded, T::LocalLost, S::LocalDown, "local server stopped answering"},
    {S::SplitBrain, T::LocalLost, S::LocalDown, "local server stopped (fenced)"},
    {S::Isolated, T::LocalLost, S::LocalDown, "local server stopped answering"},
    {S::LocalDown, T::LocalBack, S::Monitoring, "local server answers again"},
    // The upstream: a failed check starts counting, enough failures in a row
    // declare it failed, any answer resets (also in the middle of a failover:
    // the primary came back before anyone promoted).
    {S::Monitoring, T::UpstreamLost, S::UpstreamLost, "upstream check failed"},
    {S::UpstreamLost, T::AttemptsSpent, S::UpstreamFailed, "upstream failed every reconnect attempt"},
    {S::UpstreamLost, T::CrashReported, S::UpstreamFailed, "the primary's repmgrd reported its server crashed"},
    {S::UpstreamLost, T::UpstreamBack, S::Monitoring, "upstream answers again"},
    {S::UpstreamFailed, T::UpstreamBack, S::Monitoring, "upstream answers again"},
    {S::Electing, T::UpstreamBack, S::Monitoring, "upstream answers again"},
    {S::AwaitingLeader, T::UpstreamBack, S::Monitoring, "upstream answers again"},
    {S::Following, T::UpstreamBack, S::Monitoring, "streaming from the new upstream"},
    {S::Degraded, T::UpstreamBack, S::Monitoring, "upstream answers again"},
    // Failover (failover=automatic, not paused).
    {S::UpstreamFailed, T::StartElection, S::Electing, "automatic failover: electing a new primary"},
    {S::Electing, T::WonElection, S::Promoting, "this node is the best candidate"},
    {S::Electing, T::LostElection, S::AwaitingLeader, "another node leads"},
    {S::Electing, T::ElectionAborted, S::Degraded, "no failover possible now"},
    {S::Degraded, T::RetryElection, S::Electing, "electing again"},
    {S::Promoting, T::Promoted, S::Monitoring, "promoted: this node is the primary"},
    {S::Promoting, T::LostElection, S::AwaitingLeader, "another node claimed this failover term"},
    {S::Promoting, T::PromotionFailed, S::Degraded, "promotion did not happen"},
    {S::AwaitingLeader, T::LeaderReady, S::Following, "the new primary accepts writes: following it"},
    {S::AwaitingLeader, T::RetryElection, S::Electing, "the expected leader did not take over"},
    {S::Following, T::FollowFailed, S::AwaitingLeader, "not streaming from the new primary"},
    // Fencing of a primary.
    {S::Monitoring, T::RivalPrimarySeen, S::SplitBrain, "another node was promoted on a newer timeline"},
    {S::Isolated, T::RivalPrimarySeen, S::SplitBrain, "another node was promoted on a newer timeline"},
    {S::SplitBrain, T::RivalGone, S::Monitoring, "no other primary seen any more"},
    {S::Monitoring, T::PeersLost, S::Isolated, "no majority visible, and the standbys could elect without it: read-only"},
    {S::Isolated, T::PeersBack, S::Monitoring, "a majority is visible again: writable"},
    {S::Monitoring, T::LeaseLost, S::Isolated, "the leader lease cannot be renewed, or another node holds the key: read-only"},
    {S::Isolated, T::LeaseHeld, S::Monitoring, "the leader lease is held again: writable"},
};

constexpr State kStates[] = {S::Monitoring,     S::LocalDown, S::UpstreamLost, S::UpstreamFailed,
                             S::Electing,       S::Promoting, S::AwaitingLeader, S::Following,
                             S::Degraded,       S::SplitBrain, S::Isolated};

}  // namespace

std::span<const Transition> transitions() { return kTransitions; }

std::span<const State> all_states() { return kStates; }

const Transition* find_transition(State from, Trigger trigger) {
    for (const auto& t : kTransitions)
        if (t.from == from && t.trigger == trigger) return &t;
    return nullptr;
}

bool in_failover(State state) {
    switch (state) {
        case S::UpstreamFailed:
        case S::Electing:
        case S::Promoting:
        case S::AwaitingLeader:
        case S::Following:
        case S::Degraded: return true;
        default: return false;
    }
}

std::string_view state_name(State state) {
    switch (state) {
        case S::Monitoring: return "monitoring";
        case S::LocalDown: return "local-down";
        case S::UpstreamLost: return "upstream-lost";
        case S::UpstreamFailed: return "upstream-failed";
        case S::Electing: return "electing";
        case S::Promoting: return "promoting";
        case S::AwaitingLeader: return "awaiting-leader";
        case S::Following: return "following";
        case S::Degraded: return "degraded";
        case S::SplitBrain: return "split-brain";
        case S::Isolated: return "isolated";
    }
    return "?";
}

}  // namespace repmgr::repmgrd
