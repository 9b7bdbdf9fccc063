#pragma once

// SQL repmgrd needs during a failover: the claim of a failover term on the
// witness (the arbiter that lets at most one standby win), what a sibling
// standby or a rival primary says about itself, and the read-only fence of an
// isolated primary. Claim SQL expects the search_path on the cluster schema.

#include <optional>
#include <string>

#include "cluster/replication.hpp"
#include "db/connection.hpp"

namespace repmgr {

// A failover term is "primary `failed_primary_id` on timeline `timeline`
// failed". Tries to become the winner of the term (INSERT ... ON CONFLICT DO NOTHING) and
// returns the winner's node id: `candidate_id` when this claim won, else the
// node that claimed the term first.
int claim_failover_term(Connection& witness, int failed_primary_id, int timeline,
                        int candidate_id);
// The winner of the term, when some node has claimed it.
std::optional<int> read_failover_claim(Connection& witness, int failed_primary_id, int timeline);

// What a server says about itself when asked during a failover.
struct PeerState {
    bool in_recovery = true;
    Lsn received_lsn = 0;         // standby: later of received and replayed WAL
    bool streaming = false;       // standby: WAL receiver streaming, heard from recently
    int timeline = 0;             // primary: the timeline it writes WAL on
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

}  // namespace repmgr
