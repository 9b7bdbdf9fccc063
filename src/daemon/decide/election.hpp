#pragma once

#include <optional>
#include <string>
#include <vector>

#include "util/lsn.hpp"

namespace repmgr {

// What one standby sees of itself or of a sibling when the primary is lost.
// Fabricated freely in unit tests: the election is pure logic, no I/O.
struct CandidateView {
    int node_id = 0;
    int priority = 100;         // 0 = never promote
    std::string location = "default";
    bool reachable = false;     // we could query it this round
    bool sees_primary = false;  // its WAL receiver still streams from the primary
    bool in_recovery = true;    // false: it is (already) a primary
    Lsn received_lsn = 0;  // last WAL received (or replayed, if higher)
    // Seconds between the newest primary heartbeat it received and the
    // electing node's last contact with the primary (failover_max_lag_secs).
    std::optional<double> heartbeat_lag_s;
    // A sibling's newest primary heartbeat as read by the observer, turned
    // into heartbeat_lag_s once this node's last contact is known.
    std::optional<double> heartbeat_epoch;
};

struct ElectionInput {
    int self_id = 0;
    int failed_primary_id = 0;
    std::string primary_location = "default";
    std::vector<CandidateView> standbys;  // every sibling standby INCLUDING self
    bool has_witness = false;
    bool witness_reachable = false;
    std::string witness_location = "default";
    // arbiter=etcd, reachable: the leader key is the quorum (the primary's
    // lease ran out before any standby can take it), so neither a majority of
    // visible members nor the primary's location needs to be in sight.
    bool quorum_by_arbiter = false;
    // synchronous=on|strict: only these recorded zero-loss candidates may be
    // promoted (empty: none recorded); nullopt with synchronous=off.
    std::optional<std::vector<int>> zero_loss_candidates;
    // Bounds for an asynchronous failover (0 = none): the primary's last
    // position this node saw minus a candidate's received position, and the
    // candidate's heartbeat_lag_s.
    Lsn primary_last_lsn = 0;
    long long max_lag_bytes = 0;
    int max_lag_secs = 0;
};

enum class ElectionOutcome {
    PromoteSelf,        // this node ranks first: promote
    FollowOther,        // another node ranks first: wait for it, then follow
    PrimaryStillSeen,   // a sibling still streams from the primary: not failed
    NewPrimaryExists,   // a sibling is already a primary: follow it
    NoQuorum,           // cannot see a majority of the voting members
    NoCandidate,        // nobody may promote (priority 0, wrong location, zero loss, lag bound)
};

struct ElectionResult {
    ElectionOutcome outcome;
    std::optional<int> winner_id;  // the node to promote or follow
    std::string reason;            // a full sentence for the log and events
};

// Decides the failover for `input.self_id`. Every standby given the same
// views reaches the same winner: most advanced received LSN, then highest
// priority, then lowest node id. A node that cannot see a majority of the
// voting members (standbys + witness + the lost primary) never promotes.
ElectionResult elect(const ElectionInput& input);

}  // namespace repmgr
