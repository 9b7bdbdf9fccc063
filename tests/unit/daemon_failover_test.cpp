// decide() during a failover and fencing, from fabricated snapshots: every
// branch of the election step, promotion, waiting for the leader, following,
// split brain, isolation and the read-only fences. No database.
#include <gtest/gtest.h>

#include <algorithm>

#include "daemon/decide/decide.hpp"
#include "daemon_snapshots.hpp"

using namespace repmgr;
using namespace repmgr::repmgrd;
using namespace repmgr::repmgrd::testing;

namespace {





}  // namespace

TEST(DaemonFailover, BestCandidatePromotesAfterAttemptsSpent) {
    Step step = decide(failed_upstream(), in_state(State::Monitoring));
    EXPECT_EQ(step.next.state, State::Promoting);
    const Action* promote = find(step, ActionKind::PromoteSelf);
    ASSERT_NE(promote, nullptr);
    EXPECT_EQ(promote->node, 1);
    EXPECT_NE(step.reason.find("this node ranks first among 2 candidate(s)"), std::string::npos);
    EXPECT_EQ(step.wait, std::chrono::seconds(1));
}

TEST(DaemonFailover, WithTheGuardOnTheBestCandidateWaitsForTheGuardsBound) {
    // guard_timeout 2 s, master_response_timeout 2 s, monitor_interval_secs
    // 1 s: the guard fences a cut primary within 2 + 1 + 2 s, its repmgrd a
    // frozen one within 2 + 1 + 2.5 s of the freeze; the standby waits the
    // longer from its last contact, which may be 1 s before the freeze: 7 s.
    Snapshot s = failed_upstream();
    s.tuning.guard_timeout = 2;
    s.tuning.master_response_timeout = 2;
    s.tuning.monitor_interval_secs = 1;
    s.at = Clock::time_point{} + std::chrono::seconds(100);
    Memory m = in_state(State::Monitoring);
    m.upstream_last_contact = s.at - std::chrono::seconds(3);
    Step early = decide(s, m);
    EXPECT_EQ(find(early, ActionKind::PromoteSelf), nullptr);
    EXPECT_EQ(early.next.state, State::Electing);
    EXPECT_TRUE(says(early, "its guard or repmgrd may still be fencing it (guard_timeout 2 s, "
                            "fenced within 7 s)"))
        << early.reason;
    s.at += std::chrono::seconds(3);
    EXPECT_EQ(find(decide(s, early.next), ActionKind::PromoteSelf), nullptr);  // 6 s: not yet
    s.at += std::chrono::seconds(1);
    Step later = decide(s, early.next);
    EXPECT_NE(find(later, ActionKind::PromoteSelf), nullptr) << later.reason;
    // A crash reported by the primary's own repmgrd: no guard to wait for.
    Memory crashed = in_state(State::Monitoring);
    crashed.upstream_last_contact = s.at - std::chrono::seconds(1);
    crashed.times.by_crash_report = true;
    EXPECT_NE(find(decide(s, crashed), ActionKind::PromoteSelf), nullptr);
}

TEST(DaemonFailover, OtherCandidateWaitsThenFollowsWhenLeaderWrites) {
    Snapshot s = failed_upstream(3);
    Step wait = decide(s, in_state(State::Monitoring));
    EXPECT_EQ(wait.next.state, State::AwaitingLeader);
    EXPECT_EQ(wait.next.leader_id, 2);
    EXPECT_EQ(find(wait, ActionKind::Follow), nullptr);
    EXPECT_EQ(wait.reason, "waiting for node 2 to accept writes");

    s.failover->election.standbys[0].in_recovery = false;  // node 2 promoted
    Step follow = decide(s, wait.next);
    EXPECT_EQ(follow.next.state, State::Following);
    const Action* a = find(follow, ActionKind::Follow);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->node, 2);

    // Streaming from the new upstream ends the episode.
    Snapshot after = s;
    after.upstream_id = 2;
    after.upstream = {true, false, {}};
    after.failover.reset();
    Step done = decide(after, follow.next);
    EXPECT_EQ(done.next.state, State::Monitoring);
    EXPECT_FALSE(done.next.leader_id);
}

TEST(DaemonFailover, LeaderThatNeverComesCausesAnotherElection) {
    Snapshot s = failed_upstream(3);
    s.tuning.primary_follow_timeout = 10;
    Step wait = decide(s, in_state(State::Monitoring));
    ASSERT_EQ(wait.next.state, State::AwaitingLeader);
    s.at += std::chrono::seconds(11);
    Step again = decide(s, wait.next);
    EXPECT_EQ(again.next.state, State::Electing);
    EXPECT_NE(find(again, ActionKind::RecordEvent, "repmgrd_failover_abort"), nullptr);
}

TEST(DaemonFailover, FollowThatDoesNotStreamGoesBackToWaiting) {
    Snapshot s = failed_upstream(3);
    s.failover->election.standbys[0].in_recovery = false;
    Memory m = in_state(State::Following);
    m.leader_id = 2;
    Step step = decide(s, m);
    step = decide(s, step.next);
    EXPECT_EQ(step.next.state, State::Following);
    step = decide(s, step.next);
    // third tick without streaming: wait for the leader again, which follows it again
    EXPECT_EQ(step.next.state, State::AwaitingLeader);
    step = decide(s, step.next);
    EXPECT_EQ(step.next.state, State::Following);
    EXPECT_NE(find(step, ActionKind::Follow), nullptr);
}

TEST(DaemonFailover, WitnessClaimDecidesTheWinner) {
    Snapshot s = failed_upstream(2);
    claimed_by(s, 3);  // node 3 claimed first, although node 2 ranks first
    Step step = decide(s, in_state(State::Monitoring));
    EXPECT_EQ(step.next.state, State::AwaitingLeader);
    EXPECT_EQ(step.next.leader_id, 3);
    EXPECT_EQ(find(step, ActionKind::PromoteSelf), nullptr);

    claimed_by(s, 2);  // our own earlier claim (e.g. repmgrd restarted)
    Step mine = decide(s, in_state(State::Electing));
    EXPECT_EQ(mine.next.state, State::Promoting);
    EXPECT_NE(find(mine, ActionKind::PromoteSelf), nullptr);
}

TEST(DaemonFailover, UnreachableWitnessBlocksPromotionButNotQuorumWithSiblings) {
    Snapshot s = failed_upstream(2);
    // three standbys see each other: 3 of 5 voting members, a majority without the witness
    s.failover->election.standbys.push_back(candidate(5, 100));
    witness_unreachable(s);
    Step step = decide(s, in_state(State::Monitoring));
    EXPECT_EQ(step.next.state, State::Degraded);
    EXPECT_NE(step.reason.find("the witness cannot be reached"), std::string::npos);
    const Action* abort = find(step, ActionKind::RecordEvent, "repmgrd_failover_abort");
    ASSERT_NE(abort, nullptr);
    EXPECT_FALSE(abort->successful);
}

TEST(DaemonFailover, AbortsAreRecordedOncePerEpisodeAndElectionsRerun) {
    Snapshot s = failed_upstream(2);
    s.failover->election.standbys[1].reachable = false;
    witness_unreachable(s);
    s.tuning.election_rerun_interval = 5;
    Step one = decide(s, in_state(State::Monitoring));
    EXPECT_EQ(one.next.state, State::Degraded);
    EXPECT_NE(one.reason.find("I will not fail over because I can see only 1 of 4"),
              std::string::npos);
    EXPECT_NE(find(one, ActionKind::RecordEvent, "repmgrd_failover_abort"), nullptr);

    s.at += std::chrono::seconds(1);
    Step early = decide(s, one.next);
    EXPECT_TRUE(early.transitions.empty());  // too soon to elect again
    s.at += std::chrono::seconds(5);
    Step rerun = decide(s, early.next);
    ASSERT_FALSE(rerun.transitions.empty());
    EXPECT_EQ(rerun.transitions[0], "from degraded to electing: electing again");
    EXPECT_EQ(rerun.next.state, State::Degraded);
    EXPECT_EQ(find(rerun, ActionKind::RecordEvent, "repmgrd_failover_abort"), nullptr);

    // The primary comes back: the episode ends.
    Snapshot back = s;
    back.upstream = {true, false, {}};
    Step ok = decide(back, rerun.next);
    EXPECT_EQ(ok.next.state, State::Monitoring);
    EXPECT_FALSE(ok.next.abort_recorded);
}

TEST(DaemonFailover, SiblingStillStreamingFromPrimaryAborts) {
    Snapshot s = failed_upstream(2);
    s.failover->election.standbys[1].sees_primary = true;
    Step step = decide(s, in_state(State::Monitoring));
    EXPECT_EQ(step.next.state, State::Degraded);
    EXPECT_NE(step.reason.find("node 3 still receives WAL from primary node 1"),
              std::string::npos);
}

TEST(DaemonFailover, NoEligibleCandidateAborts) {
    Snapshot s = failed_upstream(2);
    for (auto& c : s.failover->election.standbys) c.priority = 0;
    Step step = decide(s, in_state(State::Monitoring));
    EXPECT_EQ(step.next.state, State::Degraded);
    EXPECT_NE(step.reason.find("no node may be promoted"), std::string::npos);
}

TEST(DaemonFailover, SiblingAlreadyPrimaryIsFollowed) {
    Snapshot s = failed_upstream(2);
    s.failover->election.standbys[1].in_recovery = false;
    Step step = decide(s, in_state(State::Monitoring));
    EXPECT_EQ(step.next.state, State::Following);
    const Action* a = find(step, ActionKind::Follow);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->node, 3);
}

TEST(DaemonFailover, CascadedStandbyFollowsThePrimaryWithoutElection) {
    Snapshot s = failed_upstream(5);
    s.failover->upstream_was_primary = false;
    s.failover->running_primary_id = 7;
    Step step = decide(s, in_state(State::Monitoring));
    EXPECT_EQ(step.next.state, State::Following);
    EXPECT_EQ(find(step, ActionKind::Follow)->node, 7);

    s.failover->running_primary_id.reset();
    Step none = decide(s, in_state(State::Monitoring));
    EXPECT_EQ(none.next.state, State::Degraded);
    EXPECT_NE(none.reason.find("no primary is reachable to follow"), std::string::npos);
}

TEST(DaemonFailover, ManualOnlyReportsOnce) {
    Snapshot s = failed_upstream(2);
    s.tuning.automatic_failover = false;
    Step one = decide(s, in_state(State::Monitoring));
    EXPECT_EQ(one.next.state, State::UpstreamFailed);
    EXPECT_NE(find(one, ActionKind::RecordEvent, "standby_disconnect_manual"), nullptr);
    EXPECT_EQ(find(one, ActionKind::PromoteSelf), nullptr);
    Step two = decide(s, one.next);
    EXPECT_EQ(find(two, ActionKind::RecordEvent, "standby_disconnect_manual"), nullptr);
    EXPECT_NE(two.reason.find("failover=manual"), std::string::npos);
}

TEST(DaemonFailover, PausedNeverActsMidFailover) {
    Snapshot s = failed_upstream(3);
    s.paused = true;
    s.failover->election.standbys[0].in_recovery = false;
    Memory m = in_state(State::AwaitingLeader);
    m.leader_id = 2;
    Step step = decide(s, m);
    EXPECT_EQ(step.next.state, State::AwaitingLeader);
    EXPECT_EQ(find(step, ActionKind::Follow), nullptr);
    EXPECT_NE(step.reason.find("paused"), std::string::npos);
}

TEST(DaemonFailover, PromotionOutcomes) {
    Snapshot s = failed_upstream(2);
    Snapshot promoted = s;
    promoted.role = NodeRole::Primary;
    promoted.local = {true, false, {}};
    promoted.upstream_id.reset();
    promoted.failover.reset();
    EXPECT_EQ(decide(promoted, in_state(State::Promoting)).next.state, State::Monitoring);

    Snapshot lost = s;
    claimed_by(lost, 3);
    Step l = decide(lost, in_state(State::Promoting));
    EXPECT_EQ(l.next.state, State::AwaitingLeader);
    EXPECT_EQ(l.next.leader_id, 3);

    Step failed = decide(s, in_state(State::Promoting));
    EXPECT_EQ(failed.next.state, State::Degraded);
    EXPECT_NE(find(failed, ActionKind::RecordEvent, "repmgrd_failover_abort"), nullptr);
}

TEST(DaemonFailover, LocalServerLostMidFailoverWaitsForIt) {
    Snapshot s = failed_upstream(2);
    s.local = {false, false, "refused"};
    EXPECT_EQ(decide(s, in_state(State::AwaitingLeader)).next.state, State::LocalDown);
}

namespace {

Snapshot primary_seeing(int visible, int total) {
    Snapshot s;
    s.node_id = 1;
    s.role = NodeRole::Primary;
    s.local = {true, false, {}};
    s.primary_writable = true;
    s.tuning.isolation_fencing = true;
    PrimaryView pv;
    pv.own_timeline = 1;
    pv.peers_visible = visible;
    pv.peers_total = total;
    s.primary_view = pv;
    return s;
}

}  // namespace

TEST(DaemonFencing, RivalOnNewerTimelineIsSplitBrainRecordedOnTheRival) {
    Snapshot s = primary_seeing(2, 3);
    s.primary_view->rival_id = 2;
    s.primary_view->rival_timeline = 2;
    Step step = decide(s, in_state(State::Monitoring));
    EXPECT_EQ(step.next.state, State::SplitBrain);
    const Action* ev = find(step, ActionKind::RecordEvent, "repmgrd_split_brain_detected");
    ASSERT_NE(ev, nullptr);
    EXPECT_EQ(ev->node, 2);
    EXPECT_NE(ev->details.find("stopping it and rejoining it as a standby"), std::string::npos);
    EXPECT_EQ(find(step, ActionKind::FencePrimary)->node, 2);

    Step again = decide(s, step.next);  // still running: fence again, report once
    EXPECT_NE(find(again, ActionKind::FencePrimary), nullptr);
    EXPECT_EQ(find(again, ActionKind::RecordEvent, "repmgrd_split_brain_detected"), nullptr);

    s.tuning.primary_fencing = Tuning::Fencing::None;
    Step none = decide(s, in_state(State::Monitoring));
    EXPECT_EQ(none.next.state, State::SplitBrain);
    EXPECT_EQ(find(none, ActionKind::FencePrimary), nullptr);

    // rejoined: now a standby
    Snapshot standby = s;
    standby.role = NodeRole::Standby;
    standby.local = {true, true, {}};
    standby.primary_view.reset();
    EXPECT_EQ(decide(standby, step.next).next.state, State::Monitoring);
}

TEST(DaemonFencing, IsolatedPrimaryGoesReadOnlyAndBackWithAMajority) {
    Snapshot s = primary_seeing(0, 3);
    s.tuning.reconnect_attempts = 6;
    s.tuning.reconnect_interval = 10;  // grace: 5*10 - 2 - 2 = 46 s
    EXPECT_EQ(isolation_grace_seconds(s.tuning), 46);
    Step first = decide(s, in_state(State::Monitoring));
    EXPECT_EQ(first.next.state, State::Monitoring);
    s.at += std::chrono::seconds(46);
    Step fenced = decide(s, first.next);
    EXPECT_EQ(fenced.next.state, State::Isolated);
    const Action* on = find(fenced, ActionKind::ReadOnlyFence);
    ASSERT_NE(on, nullptr);
    EXPECT_TRUE(on->on);

    Snapshot one_back = primary_seeing(1, 3);  // 2 of 4 members: not a majority
    one_back.primary_view->fenced_read_only = true;
    Step still = decide(one_back, fenced.next);
    EXPECT_EQ(still.next.state, State::Isolated);
    EXPECT_EQ(find(still, ActionKind::ReadOnlyFence), nullptr);

    Snapshot back = primary_seeing(2, 3);
    back.primary_view->fenced_read_only = true;
    Step lifted = decide(back, still.next);
    EXPECT_EQ(lifted.next.state, State::Monitoring);
    const Action* off = find(lifted, ActionKind::ReadOnlyFence);
    ASSERT_NE(off, nullptr);
    EXPECT_FALSE(off->on);
}

// bugs.md entry 18: a standby whose election began before the heal claims
// the term and promotes a second after it; the fence must not be lifted then.
TEST(DaemonFencing, FenceStaysWhileAStandbyHoldsALiveClaimOnThisPrimarysTerm) {
    Snapshot back = primary_seeing(3, 3);
    back.primary_view->fenced_read_only = true;
    back.primary_view->own_timeline = 4;
    ArbiterView& arbiter = back.primary_view->own_term;
    arbiter.name = "witness";
    arbiter.required = true;
    arbiter.reachable = true;
    arbiter.claim = TermClaim{2, false, {}};
    Step held = decide(back, in_state(State::Isolated));
    EXPECT_EQ(held.next.state, State::Isolated);
    EXPECT_EQ(find(held, ActionKind::ReadOnlyFence), nullptr);
    const Action* said = find(held, ActionKind::LogWarning);
    ASSERT_NE(said, nullptr);
    EXPECT_NE(said->details.find("node 2 has claimed its failover (timeline 4) on the witness"),
              std::string::npos);
    EXPECT_TRUE(held.next.fence_lift_held);
    // Said once per hold, not on every tick.
    EXPECT_EQ(find(decide(back, held.next), ActionKind::LogWarning), nullptr);

    // Unreadable: a claim may be there.
    Snapshot unread = back;
    unread.primary_view->own_term.reachable = false;
    unread.primary_view->own_term.claim.reset();
    Step blind = decide(unread, in_state(State::Isolated));
    EXPECT_EQ(find(blind, ActionKind::ReadOnlyFence), nullptr);
    EXPECT_NE(find(blind, ActionKind::LogWarning)->details.find("cannot read the witness"),
              std::string::npos);

    // Expired unconfirmed, this node's own, or none: lifted. A standby
    // taking an expired claim over probes this node first.
    for (TermClaim c : {TermClaim{2, true, {}}, TermClaim{1, false, {}}}) {
        Snapshot free = back;
        free.primary_view->own_term.claim = c;
        Step lifted = decide(free, held.next);
        EXPECT_EQ(lifted.next.state, State::Monitoring);
        ASSERT_NE(find(lifted, ActionKind::ReadOnlyFence), nullptr);
        EXPECT_FALSE(find(lifted, ActionKind::ReadOnlyFence)->on);
        // The effect holds this term on the arbiter while the fence comes down.
        EXPECT_EQ(find(lifted, ActionKind::ReadOnlyFence)->term.failed_primary_id, 1);
        EXPECT_EQ(find(lifted, ActionKind::ReadOnlyFence)->term.timeline, 4);
        EXPECT_FALSE(lifted.next.fence_lift_held);
    }
    // No arbiter at all (no witness): nothing to wait for.
    Snapshot no_arbiter = back;
    no_arbiter.primary_view->own_term = ArbiterView{};
    EXPECT_NE(find(decide(no_arbiter, held.next), ActionKind::ReadOnlyFence), nullptr);
}

// Fault suite, strict_every_standby_isolated: both standbys cut off, the
// witness visible to everyone. The standbys and the witness (3 of 4) elect a
// new primary; the primary, seeing only the witness, must fence itself.
TEST(DaemonFencing, PrimarySeeingOnlyTheWitnessIsFencedOneSeeingAStandbyIsNot) {
    EXPECT_TRUE(others_could_elect(1, 3, true));    // sees the witness only
    EXPECT_FALSE(others_could_elect(1, 3, false));  // sees one standby: a standby + witness
    EXPECT_TRUE(others_could_elect(0, 3, false));   // sees nobody
    EXPECT_FALSE(others_could_elect(2, 3, true));   // a standby and the witness: a majority
    EXPECT_TRUE(others_could_elect(1, 2, true));    // one standby + witness: both sides could
    EXPECT_FALSE(others_could_elect(2, 2, true));

    Snapshot witness_only = primary_seeing(1, 3);
    witness_only.primary_view->witness_visible = true;
    Step fenced = decide(witness_only, in_state(State::Monitoring));
    EXPECT_EQ(fenced.next.state, State::Isolated);
    const Action* on = find(fenced, ActionKind::ReadOnlyFence);
    ASSERT_NE(on, nullptr);
    EXPECT_TRUE(on->on);
    EXPECT_NE(on->details.find("sees only 1 of its 3 standby/witness node(s), the witness among "
                               "them"),
              std::string::npos);

    Snapshot one_standby = primary_seeing(1, 3);  // the witness is down or cut off too
    Step writing = decide(one_standby, in_state(State::Monitoring));
    EXPECT_EQ(writing.next.state, State::Monitoring);
    EXPECT_EQ(find(writing, ActionKind::ReadOnlyFence), nullptr);
}

TEST(DaemonFencing, DefaultsFenceAtTheFirstIsolatedTick) {
    Tuning t;  // 2 s interval, 3 attempts x 2 s, 2 s timeout
    EXPECT_EQ(isolation_grace_seconds(t), 0);
    Snapshot s = primary_seeing(0, 2);
    EXPECT_EQ(decide(s, in_state(State::Monitoring)).next.state, State::Isolated);
    s.tuning.isolation_fencing = false;
    EXPECT_EQ(decide(s, in_state(State::Monitoring)).next.state, State::Monitoring);
}

TEST(DaemonFencing, DownPrimaryIsPreFencedOnceWhenAnotherIsPrimary) {
    Snapshot s;
    s.node_id = 1;
    s.role = NodeRole::Primary;
    s.local = {false, false, "refused"};
    s.primary_elsewhere = 2;
    Step step = decide(s, in_state(State::Monitoring));
    EXPECT_EQ(step.next.state, State::LocalDown);
    EXPECT_NE(find(step, ActionKind::PreFence), nullptr);
    EXPECT_EQ(find(decide(s, step.next), ActionKind::PreFence), nullptr);
}

TEST(DaemonFencing, IsolatedPrimaryWhoseFenceDidNotHoldIsFencedAgain) {
    Snapshot s = primary_seeing(0, 3);
    Step again = decide(s, in_state(State::Isolated));
    EXPECT_EQ(again.next.state, State::Isolated);
    const Action* on = find(again, ActionKind::ReadOnlyFence);
    ASSERT_NE(on, nullptr);
    EXPECT_TRUE(on->on);
    s.primary_view->fenced_read_only = true;
    EXPECT_EQ(find(decide(s, in_state(State::Isolated)), ActionKind::ReadOnlyFence), nullptr);
}

TEST(DaemonFailover, StandbyFoundRunningAsPrimaryIsRecordedNotFailedOver) {
    Snapshot s;
    s.node_id = 2;
    s.role = NodeRole::Standby;
    s.local = {true, false, {}};  // promoted, metadata still says standby
    s.upstream_id = 1;
    s.upstream = {false, false, "refused"};
    Step step = decide(s, in_state(State::Monitoring));
    EXPECT_NE(find(step, ActionKind::RecordOwnPromotion), nullptr);
    EXPECT_EQ(step.next.state, State::Monitoring);  // no upstream-lost episode
    EXPECT_EQ(find(decide(s, in_state(State::Promoting)), ActionKind::RecordOwnPromotion),
              nullptr);
}

TEST(DaemonFencing, UnansweringPrimaryIsPreFencedBeforeAnyFailover) {
    Snapshot s;
    s.node_id = 1;
    s.role = NodeRole::Primary;
    s.local = {false, false, "no answer within 2500 ms"};
    s.tuning.isolation_fencing = true;
    Step step = decide(s, in_state(State::Monitoring));
    EXPECT_NE(find(step, ActionKind::PreFence), nullptr);
    s.paused = true;
    EXPECT_EQ(find(decide(s, in_state(State::Monitoring)), ActionKind::PreFence), nullptr);
    s.paused = false;
    s.tuning.isolation_fencing = false;
    EXPECT_EQ(find(decide(s, in_state(State::Monitoring)), ActionKind::PreFence), nullptr);
}

TEST(DaemonFencing, StandbyLiftsAFenceLeftInItsConfiguration) {
    Snapshot s;
    s.node_id = 1;
    s.role = NodeRole::Standby;
    s.local = {true, true, {}};
    s.local_fenced = true;
    s.upstream_id = 2;
    s.upstream = {true, false, {}};
    const Action* a = find(decide(s, in_state(State::Monitoring)), ActionKind::ReadOnlyFence);
    ASSERT_NE(a, nullptr);
    EXPECT_FALSE(a->on);
}

// Reasons as data: what the promotion itself reported becomes the reason of
// the next tick and the text of the abort event.
TEST(DaemonFailover, PromotionVetoIsTheRecordedReason) {
    Snapshot s = failed_upstream(2);
    s.outcomes.push_back({ActionOutcome::Kind::Promote, false, 1,
                          "I will not promote because node 3 already runs as a primary"});
    Step step = decide(s, in_state(State::Promoting));
    EXPECT_TRUE(says(step, "I will not promote because node 3 already runs as a primary"));
    const Action* abort = find(step, ActionKind::RecordEvent, "repmgrd_failover_abort");
    ASSERT_NE(abort, nullptr);
    EXPECT_NE(abort->details.find("node 3 already runs as a primary"), std::string::npos);
    EXPECT_TRUE(step.reason_changed);
}

TEST(DaemonFailover, PlainMonitoringReasonIsNotANotice) {
    Snapshot s = failed_upstream(2);
    s.failover.reset();
    s.upstream = {true, true, {}};
    Memory m = in_state(State::Monitoring);
    m.upstream_was_up = true;
    Step step = decide(s, m);
    EXPECT_EQ(step.next.state, State::Monitoring);
    EXPECT_FALSE(step.reason_changed);
    EXPECT_EQ(step.next.reason, step.reason);
}

TEST(DaemonFailover, StaleUpstreamInTheMetadataIsCorrectedByAnAction) {
    Snapshot s = failed_upstream(2);
    s.failover.reset();
    s.upstream = {true, true, {}};
    s.primary_writable = true;
    s.streams_from_other = 3;
    Memory m = in_state(State::Monitoring);
    m.upstream_was_up = true;
    Step step = decide(s, m);
    const Action* fix = find(step, ActionKind::RecordUpstream);
    ASSERT_NE(fix, nullptr);
    EXPECT_EQ(fix->node, 3);
    // only in plain monitoring: never in the middle of a failover
    EXPECT_EQ(find(decide(s, in_state(State::Following)), ActionKind::RecordUpstream), nullptr);
}

TEST(DaemonFailover, MemoryKeepsWhatTheObserverCannotSee) {
    Snapshot s = failed_upstream(2);
    s.paused = true;
    s.upstream_timeline = 4;
    s.upstream = {true, false, {}};
    Step step = decide(s, in_state(State::Monitoring));
    EXPECT_EQ(step.next.role, NodeRole::Standby);
    EXPECT_TRUE(step.next.paused);
    ASSERT_TRUE(step.next.primary_timeline);
    EXPECT_EQ(step.next.primary_timeline->node_id, 1);
    EXPECT_EQ(step.next.primary_timeline->timeline, 4);
}
