// decide() with a failover claim on the witness whose winner neither confirmed
// nor promoted before its deadline (its repmgrd died or is stuck): the best
// other candidate takes the claim over; nobody else does, and confirmed or
// fresh claims are never touched. The atomicity of takeover vs confirmation
// is the witness's (cluster/arbiter.cpp, tests/cluster/test_failover_claim.py).
#include <gtest/gtest.h>

#include <algorithm>

#include "daemon/decide/decide.hpp"
#include "daemon_snapshots.hpp"

using namespace repmgr;
using namespace repmgr::repmgrd;
using namespace repmgr::repmgrd::testing;

namespace {

// Node `self`, standby of failed primary 1; siblings 2 and 3; a witness. Node
// 2 won the claim of the term (it ranks first: lowest id).
Snapshot claimed_by_2(int self, bool expired) {
    Snapshot s = failed_upstream(self);
    claimed_by(s, 2, expired);
    return s;
}




}  // namespace

TEST(DaemonClaim, FreshClaimIsFollowedNotTakenOver) {
    Snapshot s = claimed_by_2(3, false);
    Step step = decide(s, in_state(State::Monitoring));
    EXPECT_EQ(step.next.state, State::AwaitingLeader);
    EXPECT_EQ(step.next.leader_id, 2);
    EXPECT_EQ(find(step, ActionKind::PromoteSelf), nullptr);
    // still waiting on later ticks
    s.at += std::chrono::seconds(3);
    Step later = decide(s, step.next);
    EXPECT_EQ(later.next.state, State::AwaitingLeader);
    EXPECT_EQ(find(later, ActionKind::PromoteSelf), nullptr);
}

// The witness never reports a confirmed claim as expired: it stays the
// decision even when its holder is slow to accept writes.
TEST(DaemonClaim, UnexpiredClaimIsFinalEvenAfterTheFollowTimeout) {
    Snapshot s = claimed_by_2(3, false);
    s.tuning.primary_follow_timeout = 10;
    Step wait = decide(s, in_state(State::Monitoring));
    ASSERT_EQ(wait.next.state, State::AwaitingLeader);
    s.at += std::chrono::seconds(11);
    Step timeout = decide(s, wait.next);
    ASSERT_EQ(timeout.next.state, State::Electing);
    Step again = decide(s, timeout.next);
    // re-elected, and the claim still decides: wait for node 2 again
    EXPECT_EQ(again.next.state, State::AwaitingLeader);
    EXPECT_EQ(again.next.leader_id, 2);
    EXPECT_EQ(find(again, ActionKind::PromoteSelf), nullptr);
}

TEST(DaemonClaim, ExpiredClaimIsTakenOverByTheBestOtherCandidate) {
    // While waiting for node 2, its claim expires: no need to wait for
    // primary_follow_timeout.
    Snapshot s = claimed_by_2(3, true);
    Step step = decide(s, in_state(State::AwaitingLeader, 2));
    EXPECT_EQ(step.next.state, State::Promoting);
    const Action* promote = find(step, ActionKind::PromoteSelf);
    ASSERT_NE(promote, nullptr);
    EXPECT_EQ(promote->node, 1);
    EXPECT_TRUE(says(step, "the claim of node 2 on the failover of node 1 (timeline 1) expired "
                           "unconfirmed"));
    EXPECT_TRUE(says(step, "this node ranks first among 1 candidate(s)"));

    // The same from a fresh election (e.g. this repmgrd just started).
    Step fresh = decide(s, in_state(State::Monitoring));
    EXPECT_EQ(fresh.next.state, State::Promoting);
    EXPECT_NE(find(fresh, ActionKind::PromoteSelf), nullptr);
}

TEST(DaemonClaim, OnlyTheBestOtherCandidateTakesOver) {
    Snapshot s = claimed_by_2(3, true);
    s.failover->election.standbys.push_back(candidate(5, 200));  // more advanced than node 3
    Step step = decide(s, in_state(State::AwaitingLeader, 2));
    EXPECT_EQ(step.next.state, State::AwaitingLeader);
    EXPECT_EQ(step.next.leader_id, 5);
    EXPECT_EQ(find(step, ActionKind::PromoteSelf), nullptr);
    EXPECT_TRUE(says(step, "waiting for node 5 to accept writes"));
}

TEST(DaemonClaim, NodesAlreadyPassedOverStayOut) {
    Snapshot s = claimed_by_2(3, true);
    s.failover->election.standbys.push_back(candidate(5, 200));
    // node 5 took the claim over from node 2 and also never confirmed
    claimed_by(s, 5, true);
    s.failover->arbiter.claim->passed_over = {2};
    Step step = decide(s, in_state(State::AwaitingLeader, 5));
    EXPECT_EQ(step.next.state, State::Promoting);
    EXPECT_NE(find(step, ActionKind::PromoteSelf), nullptr);
    EXPECT_TRUE(says(step, "the claim of node 5"));
}

TEST(DaemonClaim, PassedOverWinnerRunningAsPrimaryIsFollowed) {
    // Promoted by hand (or its promotion completed after all): never a second primary.
    Snapshot s = claimed_by_2(3, true);
    s.failover->election.standbys[0].in_recovery = false;
    Step step = decide(s, in_state(State::Monitoring));
    EXPECT_EQ(find(step, ActionKind::PromoteSelf), nullptr);
    EXPECT_EQ(step.next.leader_id, 2);
    EXPECT_EQ(step.next.state, State::Following);
    EXPECT_NE(find(step, ActionKind::Follow), nullptr);
}

TEST(DaemonClaim, TakeoverNeedsAQuorumLikeAnyElection) {
    Snapshot s = claimed_by_2(3, true);
    s.failover->election.standbys.push_back(candidate(5, 100));
    s.failover->election.standbys.push_back(candidate(6, 100));
    s.failover->election.standbys[2].reachable = false;
    s.failover->election.standbys[3].reachable = false;
    s.failover->election.standbys[0].reachable = false;
    // sees itself and the witness: 2 of 6 voting members
    Step step = decide(s, in_state(State::AwaitingLeader, 2));
    EXPECT_EQ(step.next.state, State::Degraded);
    EXPECT_EQ(find(step, ActionKind::PromoteSelf), nullptr);
    EXPECT_TRUE(says(step, "I will not fail over because I can see only 2 of 6"));
}

TEST(DaemonClaim, MoreAdvancedPassedOverNodeIsReported) {
    Snapshot s = claimed_by_2(3, true);
    s.failover->election.standbys[0].received_lsn = 0x3000000;
    s.failover->election.standbys[1].received_lsn = 0x2000000;
    Step step = decide(s, in_state(State::AwaitingLeader, 2));
    EXPECT_EQ(step.next.state, State::Promoting);
    EXPECT_TRUE(says(step, "node 2 has received more WAL, 0/3000000, than this node, 0/2000000"));
}

TEST(DaemonClaim, WinnerThatWasTakenOverFollowsInsteadOfPromoting) {
    // Node 2 resumes after its claim was taken over by node 3.
    Snapshot s = claimed_by_2(2, false);
    claimed_by(s, 3);
    s.failover->arbiter.claim->passed_over = {2};
    Step promoting = decide(s, in_state(State::Promoting));
    EXPECT_EQ(promoting.next.state, State::AwaitingLeader);
    EXPECT_EQ(promoting.next.leader_id, 3);
    EXPECT_EQ(find(promoting, ActionKind::PromoteSelf), nullptr);
    Step electing = decide(s, in_state(State::Monitoring));
    EXPECT_EQ(electing.next.state, State::AwaitingLeader);
    EXPECT_EQ(find(electing, ActionKind::PromoteSelf), nullptr);
}

TEST(DaemonClaim, ConfirmDeadlineCoversTheWinnersBoundedSteps) {
    Tuning t;
    EXPECT_EQ(claim_confirm_seconds(t), 7);  // master_response_timeout 2: 3 x 2 + 1
    t.master_response_timeout = 1;
    EXPECT_EQ(claim_confirm_seconds(t), 5);  // never below 5 s
    t.master_response_timeout = 10;
    EXPECT_EQ(claim_confirm_seconds(t), 31);
}

TEST(DaemonClaim, TakeoverNamesTheStaleHolderInThePromoteAction) {
    Snapshot s = claimed_by_2(3, true);
    Step step = decide(s, in_state(State::Monitoring));
    const Action* promote = find(step, ActionKind::PromoteSelf);
    ASSERT_NE(promote, nullptr);
    EXPECT_EQ(promote->take_over_from, 2);
    EXPECT_EQ(promote->term.failed_primary_id, 1);
}

TEST(DaemonClaim, EveryDecisionOfATickIsKeptInOrder) {
    // Elected (node 2 runs as primary already) and followed in one tick: both
    // sentences are decisions of that tick, each a NOTICE line in the log.
    Snapshot s = claimed_by_2(3, true);
    s.failover->election.standbys[0].in_recovery = false;
    Step step = decide(s, in_state(State::Monitoring));
    ASSERT_EQ(step.decisions.size(), 2u);
    EXPECT_EQ(step.decisions.back(), "node 2 accepts writes: following it");
    EXPECT_EQ(step.reason, step.decisions.back());
}

// The failed primary's own hold on its term (taken while lifting its fence,
// given back at once): live, the standbys wait for it; expired (its repmgrd
// died holding it), an ordinary election runs and its winner takes the row
// over, rather than the next candidate at once as after a stalled standby.
TEST(DaemonClaim, ThePrimarysOwnHoldIsWaitedForThenTakenOverByTheElectionsWinner) {
    Snapshot live = failed_upstream(2);
    claimed_by(live, 1, false);
    Step wait = decide(live, in_state(State::Monitoring));
    EXPECT_EQ(wait.next.state, State::AwaitingLeader);
    EXPECT_EQ(find(wait, ActionKind::PromoteSelf), nullptr);
    EXPECT_NE(std::find(wait.decisions.begin(), wait.decisions.end(),
                        "node 1 holds its own failover term on the witness (its leader lease, "
                        "or a hold while it lifts its read-only fence): it is alive; waiting "
                        "until it answers or gives the term up"),
              wait.decisions.end());

    Snapshot expired = failed_upstream(2);
    claimed_by(expired, 1, true);
    Step won = decide(expired, in_state(State::Monitoring));
    EXPECT_EQ(won.next.state, State::Promoting);
    const Action* promote = find(won, ActionKind::PromoteSelf);
    ASSERT_NE(promote, nullptr);
    EXPECT_EQ(promote->take_over_from, 1);
    EXPECT_FALSE(says(won, "expired unconfirmed"));

    // Node 3 ranks below node 2: it follows, as in any election.
    Snapshot other = failed_upstream(3);
    claimed_by(other, 1, true);
    Step follows = decide(other, in_state(State::Monitoring));
    EXPECT_EQ(find(follows, ActionKind::PromoteSelf), nullptr);
    EXPECT_EQ(follows.next.leader_id, 2);
}

// Node 3's own ranking chose node 2, but node 4 won the claim (views differ
// under load): node 3 follows the claim at once, not after
// primary_follow_timeout (bench scale scenario: 60 s for some standbys).
TEST(DaemonClaim, AWaitingNodeSwitchesToTheClaimsHolder) {
    Snapshot s = failed_upstream(3);
    s.failover->election.standbys.push_back(candidate(4, 100));
    claimed_by(s, 4);
    Step step = decide(s, in_state(State::AwaitingLeader, 2));
    EXPECT_EQ(step.next.state, State::AwaitingLeader);
    EXPECT_EQ(step.next.leader_id, 4);
    EXPECT_EQ(find(step, ActionKind::PromoteSelf), nullptr);
    EXPECT_NE(std::find_if(step.decisions.begin(), step.decisions.end(),
                           [](const std::string& d) {
                               return d.find("node 4 won the failover of node 1") != std::string::npos;
                           }),
              step.decisions.end());
    // node 4 then accepts writes: followed
    s.failover->running_primary_id = 4;
    s.failover->election.standbys.back().in_recovery = false;
    Step writes = decide(s, step.next);
    EXPECT_EQ(writes.next.state, State::Following);
    EXPECT_NE(find(writes, ActionKind::Follow), nullptr);
}

// No arbiter claim (it expired, or none is kept): a sibling other than the
// awaited leader runs as primary; the election follows it.
TEST(DaemonClaim, AWaitingNodeFollowsAnotherSiblingRunningAsPrimary) {
    Snapshot s = failed_upstream(3);
    s.failover->election.standbys.push_back(candidate(4, 100));
    s.failover->election.standbys.back().in_recovery = false;
    s.failover->running_primary_id = 4;
    Step step = decide(s, in_state(State::AwaitingLeader, 2));
    EXPECT_EQ(step.next.state, State::Following);
    EXPECT_EQ(step.next.leader_id, 4);
    const Action* follow = find(step, ActionKind::Follow);
    ASSERT_NE(follow, nullptr);
}
