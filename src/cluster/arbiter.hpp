#pragma once

// SQL repmgrd needs during a failover: the claim of a failover term on the
// witness (the arbiter that lets at most one standby win), what a sibling
// standby or a rival primary says about itself, and the read-only fence of an
// isolated primary. Claim SQL expects the search_path on the cluster schema.

#include <optional>
#include <string>
#include <vector>

#include "cluster/replication.hpp"
#include "db/connection.hpp"

namespace repmgr {

// A failover term is "primary `failed_primary_id` on timeline `timeline`
// failed". The witness holds one row per term naming its winner.
//
// Life of a claim (docs/failover.md, "One winner per failover"):
//   claim    INSERT ... ON CONFLICT DO NOTHING: the first candidate wins; it
//            must confirm before `promote_by` = now() + confirm_within_s.
//   confirm  the winner, right before it promotes: UPDATE ... WHERE winner is
//            still this node. A confirmed claim is final.
//   release  the winner, when it will not promote after all: DELETE of its
//            own unconfirmed row, so that nobody waits for its deadline.
//   take over  another candidate, only while the claim is unconfirmed and past
//            its deadline: UPDATE ... WHERE winner, confirmation and deadline
//            are still what it saw. The old winner is listed as passed over.
// Confirmation and takeover are conditional UPDATEs of the same row: the row
// lock serializes them and the loser re-checks its WHERE against the winner's
// row version, so at most one of them succeeds. All times are the witness's.
struct FailoverClaim {
    int winner_node_id = 0;
    bool expired = false;    // unconfirmed and past promote_by: may be taken over
    std::vector<int> passed_over;  // earlier winners of this term whose claims expired
};

// Tries to become the winner of the term; returns the claim as it stands
// afterwards (this node's, or the one made first).
FailoverClaim claim_failover_term(Connection& witness, int failed_primary_id, int timeline,
                                  int candidate_id, int confirm_within_s);
// The claim of the term, when some node has claimed it.
std::optional<FailoverClaim> read_failover_claim(Connection& witness, int failed_primary_id,
                                                 int timeline);
// Takes over the expired, unconfirmed claim of `stale_winner_id`; false when
// it was confirmed, taken over by someone else, or is not expired (any more).
bool take_over_failover_claim(Connection& witness, int failed_primary_id, int timeline,
                              int stale_winner_id, int candidate_id, int confirm_within_s);
// The winner confirms its claim right before promoting; false when the claim
// no longer names `candidate_id` (taken over): it must not promote then.
bool confirm_failover_claim(Connection& witness, int failed_primary_id, int timeline,
                            int candidate_id);
// The winner gives up its unconfirmed claim (it found a reason not to
// promote); false when there was none to give up.
bool release_failover_claim(Connection& witness, int failed_primary_id, int timeline,
                            int candidate_id);

// What a server says about itself when asked during a failover.
struct PeerState {
    bool in_recovery = true;
    Lsn received_lsn = 0;         // standby: later of received and replayed WAL
    bool streaming = false;       // standby: WAL receiver streaming, heard from recently
    int timeline = 0;             // primary: the timeline it writes WAL on
    bool read_only_fenced = false;  // primary: default_transaction_read_only in its config
};
// `fresh_within_s`: a WAL receiver whose last message is older than this does
// not count as still seeing its primary.
PeerState read_peer_state(Connection& conn, int fresh_within_s);

// The timeline a primary writes on (from the name of its current WAL file:
// pg_control's timeline lags behind a promotion until the next checkpoint).
int primary_timeline(Connection& primary);
// A standby's best guess of its primary's timeline when it can no longer ask
// the primary: the WAL receiver's, else its last checkpoint's.
int standby_timeline(Connection& standby);

// Isolation fence: default_transaction_read_only through ALTER SYSTEM + reload,
// then ends the client sessions that may still hold writable transactions
// (not replication, not this session). Lifting it resets the setting.
void set_read_only_fence(Connection& primary, bool on);
// Whether the fence setting is in force in this session's server.
bool read_only_fence_on(Connection& primary);
// The same as a scalar subquery, for the queries that read it with other
// columns. reset_val: what the configuration files say (our ALTER SYSTEM, or
// a fence written while the server was down), not this session's own SET.
inline constexpr const char* kReadOnlyFenceInForceSql =
    "(SELECT reset_val = 'on' FROM pg_settings WHERE name = 'default_transaction_read_only')";

}  // namespace repmgr
