#pragma once

// Fabricated snapshots for the decide() tests: one builder for every test file.

#include <algorithm>
#include <optional>
#include <string>

#include "daemon/decide/decide.hpp"

namespace repmgr::repmgrd::testing {

inline CandidateView candidate(int id, Lsn lsn, int priority = 100) {
    CandidateView v;
    v.node_id = id;
    v.priority = priority;
    v.reachable = true;
    v.received_lsn = lsn;
    return v;
}

// Node `self`, standby of node 1, whose upstream has just failed its checks;
// siblings 2 and 3 (both at the same LSN); a reachable witness arbitrates.
inline Snapshot failed_upstream(int self = 2) {
    Snapshot s;
    s.node_id = self;
    s.role = NodeRole::Standby;
    s.local = {true, true, {}};
    s.upstream_id = 1;
    s.upstream = {false, false, "connection refused"};
    s.tuning.automatic_failover = true;
    s.tuning.reconnect_attempts = 1;
    FailoverView f;
    f.term = {1, 1};
    f.election.self_id = self;
    f.election.failed_primary_id = 1;
    f.election.standbys = {candidate(2, 100), candidate(3, 100)};
    f.election.has_witness = true;
    f.election.witness_reachable = true;
    f.arbiter = ArbiterView{"witness", true, true, std::nullopt};
    s.failover = f;
    return s;
}

// The witness (voter and arbiter) does not answer.
inline void witness_unreachable(Snapshot& s) {
    s.failover->election.witness_reachable = false;
    s.failover->arbiter.reachable = false;
    s.failover->arbiter.claim.reset();
}

inline void claimed_by(Snapshot& s, int holder, bool expired = false,
                       std::vector<int> passed_over = {}) {
    s.failover->arbiter.claim = TermClaim{holder, expired, std::move(passed_over)};
}

inline Memory in_state(State state, std::optional<int> leader = std::nullopt) {
    Memory m;
    m.start_recorded = true;
    m.upstream_id = 1;
    m.upstream_was_up = false;
    m.state = state;
    m.leader_id = leader;
    return m;
}

inline const Action* find(const Step& step, ActionKind kind, const std::string& event = {}) {
    auto it = std::find_if(step.actions.begin(), step.actions.end(), [&](const Action& a) {
        return a.kind == kind && (event.empty() || a.event == event);
    });
    return it == step.actions.end() ? nullptr : &*it;
}

inline bool says(const Step& step, const std::string& text) {
    return step.reason.find(text) != std::string::npos;
}

}  // namespace repmgr::repmgrd::testing
