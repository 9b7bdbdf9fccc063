// The rules of a fence that holds and of the guard. Pure.
#include "daemon/decide/fence_demote.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace repmgr::repmgrd {

bool sees_majority(int visible, int total) { return (visible + 1) * 2 > total + 1; }

bool others_could_elect(int visible, int total, bool witness_visible) {
    int votes = total - visible + (witness_visible ? 1 : 0);
    return votes * 2 > total + 1;
}

bool fence_demote_due(FenceClock::time_point fenced_since, FenceClock::time_point now,
                      int timeout_s) {
    return timeout_s > 0 && now - fenced_since >= std::chrono::seconds(timeout_s);
}

std::chrono::seconds fence_demote_wait(std::optional<FenceClock::time_point> fenced_since,
                                       FenceClock::time_point now, int timeout_s,
                                       std::chrono::seconds usual) {
    if (!fenced_since || timeout_s <= 0) return usual;
    auto due = *fenced_since + std::chrono::seconds(timeout_s);
    if (due <= now) return std::min(usual, std::chrono::seconds(1));
    // Rounded up: a tick that comes a little early would find it not yet due.
    auto left = std::chrono::ceil<std::chrono::seconds>(due - now);
    return std::max(std::chrono::seconds(1), std::min(usual, left));
}

DemotedVerdict judge_demoted(int node_id, const DemotedView& v, bool may_rejoin) {
    DemotedVerdict out;
    if (v.primary_elsewhere) {
        if (may_rejoin) {
            out.kind = DemotedVerdict::Kind::Rejoin;
            out.node = *v.primary_elsewhere;
            out.reason = fmt::format("node {} was demoted by its isolation fence and node {} is "
                                     "the primary now: rejoining it as a standby",
                                     node_id, *v.primary_elsewhere);
        } else {
            out.reason = fmt::format("node {} was demoted by its isolation fence and node {} is "
                                     "the primary now; primary_fencing is not \"rejoin\": it "
                                     "stays a standby without upstream until rejoined by hand",
                                     node_id, *v.primary_elsewhere);
        }
        return out;
    }
    if (!sees_majority(v.peers_visible, v.peers_total)) {
        out.reason = fmt::format("node {} was demoted by its isolation fence and sees {} of {} "
                                 "standby/witness node(s): staying in recovery until it sees a "
                                 "majority",
                                 node_id, v.peers_visible, v.peers_total);
        return out;
    }
    out.kind = DemotedVerdict::Kind::Restore;
    out.reason = fmt::format("node {} was demoted by its isolation fence, sees {} of {} "
                             "standby/witness node(s) and no other primary: claiming its term "
                             "(timeline {}) to return as the primary",
                             node_id, v.peers_visible, v.peers_total, v.timeline);
    return out;
}

GuardVerdict guard_decide(const GuardInput& in) {
    using K = GuardVerdict::Kind;
    if (in.guard_timeout_s <= 0) return {K::Idle, "guard_timeout is 0: the guard is off"};
    if (!in.local_writable) return {K::Idle, "the local server is not a running primary"};
    if (in.heartbeat_age_s < in.guard_timeout_s)
        return {K::Idle, fmt::format("repmgrd touched the heartbeat {:.1f} s ago", in.heartbeat_age_s)};
    std::string silent = fmt::format("repmgrd has been silent for {:.1f} s (guard_timeout {} s)",
                                     in.heartbeat_age_s, in.guard_timeout_s);
    if (in.local_fenced && in.fenced_for_s) {
        if (fence_demote_due(FenceClock::time_point{},
                             FenceClock::time_point{} + std::chrono::milliseconds(static_cast<long long>(
                                                            *in.fenced_for_s * 1000)),
                             in.fence_demote_timeout_s))
            return {K::Demote, silent + fmt::format(" and the fence has held for {:.1f} s "
                                                    "(fence_demote_timeout {} s): restarting "
                                                    "the server as a standby",
                                                    *in.fenced_for_s, in.fence_demote_timeout_s)};
        return {K::Wait, silent + ": fenced, waiting for a majority or the demotion"};
    }
    if (!in.majority) return {K::CheckMajority, silent + ": checking for a majority"};
    if (in.newer_primary_id != 0)
        return {K::Fence, silent + fmt::format(" and node {} runs as primary on timeline {}, "
                                               "later than this one: making this primary "
                                               "read-only and ending its client sessions",
                                               in.newer_primary_id, in.newer_primary_timeline)};
    if (*in.majority) return {K::Idle, silent + ", but this primary sees a majority"};
    return {K::Fence, silent + " and this primary sees no majority: making it read-only and "
                               "ending its client sessions"};
}

int guard_fence_bound_seconds(int guard_timeout_s, int check_s) {
    // One poll period (1 s) past the timeout, then the majority check.
    return guard_timeout_s + 1 + check_s;
}

int stall_fence_bound_seconds(int guard_timeout_s, int monitor_interval_s, int response_timeout_s) {
    // guard_timeout + interval + (deadline + 0.5 s), and the standby's own
    // interval, rounded up to whole seconds.
    return guard_timeout_s + 2 * monitor_interval_s + response_timeout_s + 1;
}

int standby_promote_earliest_seconds(int reconnect_attempts, int reconnect_interval,
                                     int receiver_freshness_s) {
    return std::max(std::max(0, reconnect_attempts - 1) * reconnect_interval, receiver_freshness_s);
}

}  // namespace repmgr::repmgrd
