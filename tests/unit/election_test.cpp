#include <gtest/gtest.h>

#include "daemon/decide/election.hpp"
#include "daemon_snapshots.hpp"

using namespace repmgr;

namespace {

CandidateView standby(int id, Lsn lsn, int priority = 100, bool reachable = true) {
    CandidateView v = repmgrd::testing::candidate(id, lsn, priority);
    v.reachable = reachable;
    return v;
}

ElectionInput three_nodes_and_witness(int self) {
    ElectionInput in;
    in.self_id = self;
    in.failed_primary_id = 1;
    in.standbys = {standby(2, 100), standby(3, 100)};
    in.has_witness = true;
    in.witness_reachable = true;
    return in;
}

}  // namespace

TEST(Election, MostAdvancedLsnWinsOverPriority) {
    auto in = three_nodes_and_witness(2);
    in.standbys[0].priority = 200;
    in.standbys[1].received_lsn = 200;
    auto r = elect(in);
    EXPECT_EQ(r.outcome, ElectionOutcome::FollowOther);
    EXPECT_EQ(r.winner_id, 3);
}

TEST(Election, PriorityBreaksLsnTie) {
    auto in = three_nodes_and_witness(3);
    in.standbys[1].priority = 150;
    auto r = elect(in);
    EXPECT_EQ(r.outcome, ElectionOutcome::PromoteSelf);
    EXPECT_EQ(r.winner_id, 3);
}

TEST(Election, LowestIdBreaksFullTie) {
    EXPECT_EQ(elect(three_nodes_and_witness(2)).outcome, ElectionOutcome::PromoteSelf);
    auto r = elect(three_nodes_and_witness(3));
    EXPECT_EQ(r.outcome, ElectionOutcome::FollowOther);
    EXPECT_EQ(r.winner_id, 2);
}

TEST(Election, EveryNodeAgreesOnTheWinner) {
    for (int self : {2, 3}) {
        auto in = three_nodes_and_witness(self);
        in.standbys[1].received_lsn = 500;
        EXPECT_EQ(elect(in).winner_id, 3) << "self " << self;
    }
}

TEST(Election, PriorityZeroNeverPromotes) {
    auto in = three_nodes_and_witness(2);
    in.standbys[0].received_lsn = 900;
    in.standbys[0].priority = 0;
    auto r = elect(in);
    EXPECT_EQ(r.outcome, ElectionOutcome::FollowOther);
    EXPECT_EQ(r.winner_id, 3);
}

TEST(Election, AllPriorityZeroMeansNoCandidate) {
    auto in = three_nodes_and_witness(2);
    in.standbys[0].priority = 0;
    in.standbys[1].priority = 0;
    auto r = elect(in);
    EXPECT_EQ(r.outcome, ElectionOutcome::NoCandidate);
    EXPECT_NE(r.reason.find("I will not fail over"), std::string::npos);
}

TEST(Election, SiblingStillSeeingPrimaryAborts) {
    auto in = three_nodes_and_witness(2);
    in.standbys[1].sees_primary = true;
    auto r = elect(in);
    EXPECT_EQ(r.outcome, ElectionOutcome::PrimaryStillSeen);
    EXPECT_NE(r.reason.find("node 3 still receives WAL"), std::string::npos);
}

TEST(Election, IsolatedStandbyHasNoQuorum) {
    auto in = three_nodes_and_witness(2);
    in.standbys[1].reachable = false;
    in.witness_reachable = false;
    auto r = elect(in);
    EXPECT_EQ(r.outcome, ElectionOutcome::NoQuorum);
    EXPECT_NE(r.reason.find("1 of 4"), std::string::npos);
}

TEST(Election, HalfIsNotAMajority) {
    auto in = three_nodes_and_witness(2);
    in.standbys[1].reachable = false;  // self + witness = 2 of 4
    EXPECT_EQ(elect(in).outcome, ElectionOutcome::NoQuorum);
}

TEST(Election, StandbyAndWitnessSufficeInThreeMemberCluster) {
    ElectionInput in;
    in.self_id = 2;
    in.failed_primary_id = 1;
    in.standbys = {standby(2, 10)};
    in.has_witness = true;
    in.witness_reachable = true;  // self + witness = 2 of 3
    EXPECT_EQ(elect(in).outcome, ElectionOutcome::PromoteSelf);
}

TEST(Election, LoneStandbyWithoutWitnessNeverPromotes) {
    ElectionInput in;
    in.self_id = 2;
    in.failed_primary_id = 1;
    in.standbys = {standby(2, 10)};  // 1 of 2: could be a partition
    EXPECT_EQ(elect(in).outcome, ElectionOutcome::NoQuorum);
}

TEST(Election, UnreachableSiblingIsNotACandidate) {
    auto in = three_nodes_and_witness(2);
    in.standbys[1].reachable = false;
    in.standbys[1].received_lsn = 999;
    in.standbys.push_back(standby(4, 1));  // 5 members, self+4+witness = 3 visible
    auto r = elect(in);
    EXPECT_EQ(r.outcome, ElectionOutcome::PromoteSelf);
}

TEST(Election, AlreadyPromotedSiblingIsFollowed) {
    auto in = three_nodes_and_witness(2);
    in.standbys[1].in_recovery = false;
    auto r = elect(in);
    EXPECT_EQ(r.outcome, ElectionOutcome::NewPrimaryExists);
    EXPECT_EQ(r.winner_id, 3);
}

TEST(Election, OtherLocationWaitsWhenPrimarySiteInvisible) {
    auto in = three_nodes_and_witness(2);
    in.primary_location = "dc1";
    in.witness_location = "dc2";
    for (auto& s : in.standbys) s.location = "dc2";
    auto r = elect(in);
    EXPECT_EQ(r.outcome, ElectionOutcome::NoCandidate);
    EXPECT_NE(r.reason.find("not the primary's \"dc1\""), std::string::npos);
}

TEST(Election, PrimarySiteCandidatePreferredOnlyByRank) {
    auto in = three_nodes_and_witness(3);
    in.primary_location = "dc1";
    in.standbys[0].location = "dc1";
    in.standbys[1].location = "dc2";
    in.standbys[1].received_lsn = 1000;  // dc2 may win: dc1 is visible through node 2
    auto r = elect(in);
    EXPECT_EQ(r.outcome, ElectionOutcome::PromoteSelf);
}

// arbiter=etcd: a lone standby of a two-node cluster (no witness) may win:
// it still needs the leader key, which the primary's lapsed lease released.
TEST(Election, TheEtcdQuorumReplacesTheMajorityOfVisibleMembers) {
    ElectionInput in;
    in.self_id = 2;
    in.failed_primary_id = 1;
    in.standbys = {standby(2, 100)};
    EXPECT_EQ(elect(in).outcome, ElectionOutcome::NoQuorum);  // 1 of 2 voting members
    in.quorum_by_arbiter = true;
    EXPECT_EQ(elect(in).outcome, ElectionOutcome::PromoteSelf);
    // Nor does the primary's location need to be in sight.
    in.primary_location = "dc1";
    in.standbys[0].location = "dc2";
    EXPECT_EQ(elect(in).outcome, ElectionOutcome::PromoteSelf);
    // A sibling that still streams from the primary still stops it.
    in.standbys.push_back(standby(3, 100));
    in.standbys[1].sees_primary = true;
    EXPECT_EQ(elect(in).outcome, ElectionOutcome::PrimaryStillSeen);
}
