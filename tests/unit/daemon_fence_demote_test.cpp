// A fence that holds: demotion of a fenced primary after fence_demote_timeout,
// the way back, and the guard's rules (issues 15 and 21).
#include <gtest/gtest.h>

#include "daemon/decide/fence_demote.hpp"
#include "daemon_snapshots.hpp"

using namespace repmgr::repmgrd;
using namespace repmgr::repmgrd::testing;
using std::chrono::seconds;

namespace {

Snapshot isolated_primary(bool fenced) {
    Snapshot s;
    s.node_id = 1;
    s.role = NodeRole::Primary;
    s.local = {true, false, {}};
    s.primary_writable = true;
    s.tuning.isolation_fencing = true;
    PrimaryView pv;
    pv.own_timeline = 3;
    pv.peers_total = 3;
    pv.fenced_read_only = fenced;
    s.primary_view = pv;
    return s;
}

Snapshot demoted(int visible, int total, std::optional<int> elsewhere = std::nullopt) {
    Snapshot s;
    s.node_id = 1;
    s.role = NodeRole::Primary;
    s.local = {true, true, {}};
    s.tuning.isolation_fencing = true;
    DemotedView d;
    d.timeline = 3;
    d.peers_visible = visible;
    d.peers_total = total;
    d.primary_elsewhere = elsewhere;
    s.demoted = d;
    return s;
}

}  // namespace

TEST(FenceDemote, MajorityCountsThePrimaryItself) {
    EXPECT_FALSE(sees_majority(0, 2));
    EXPECT_TRUE(sees_majority(1, 2));  // 2 of 3
    EXPECT_FALSE(sees_majority(1, 3)); // 2 of 4
    EXPECT_TRUE(sees_majority(2, 3));
    EXPECT_TRUE(sees_majority(0, 0));  // alone in the cluster
}

TEST(FenceDemote, DueAfterTheTimeoutAndNeverWithZero) {
    FenceClock::time_point t0{};
    EXPECT_FALSE(fence_demote_due(t0, t0 + std::chrono::milliseconds(999), 1));
    EXPECT_TRUE(fence_demote_due(t0, t0 + seconds(1), 1));
    EXPECT_FALSE(fence_demote_due(t0, t0 + seconds(3600), 0));
    // The next tick comes when the demotion is due, not a monitor interval later.
    EXPECT_EQ(fence_demote_wait(t0, t0, 1, seconds(2)), seconds(1));
    EXPECT_EQ(fence_demote_wait(t0, t0, 30, seconds(2)), seconds(2));
    EXPECT_EQ(fence_demote_wait(std::nullopt, t0, 1, seconds(2)), seconds(2));
    EXPECT_EQ(fence_demote_wait(t0, t0, 0, seconds(2)), seconds(2));
}

TEST(FenceDemote, FencedPrimaryIsDemotedOnceTheTimeoutHasPassed) {
    Snapshot s = isolated_primary(false);
    Step fenced = decide(s, in_state(State::Monitoring));
    EXPECT_EQ(fenced.next.state, State::Isolated);
    ASSERT_NE(find(fenced, ActionKind::ReadOnlyFence), nullptr);
    EXPECT_EQ(find(fenced, ActionKind::DemoteFenced), nullptr);
    ASSERT_TRUE(fenced.next.fenced_since.has_value());
    EXPECT_EQ(fenced.wait, seconds(1));

    s.primary_view->fenced_read_only = true;
    s.at += seconds(1);
    Step demote = decide(s, fenced.next);
    const Action* a = find(demote, ActionKind::DemoteFenced, "repmgrd_isolation_fence_demote");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->term.failed_primary_id, 1);
    EXPECT_EQ(a->term.timeline, 3);
}

TEST(FenceDemote, ZeroTimeoutKeepsTheOldReadOnlyFence) {
    Snapshot s = isolated_primary(true);
    s.tuning.fence_demote_timeout = 0;
    Memory m = in_state(State::Isolated);
    m.fenced_since = s.at;
    s.at += seconds(600);
    Step step = decide(s, m);
    EXPECT_EQ(step.next.state, State::Isolated);
    EXPECT_EQ(find(step, ActionKind::DemoteFenced), nullptr);
}

TEST(FenceDemote, MajorityBackBeforeTheTimeoutLiftsTheFenceInstead) {
    Snapshot s = isolated_primary(true);
    Memory m = in_state(State::Isolated);
    m.fenced_since = s.at;
    s.at += seconds(5);
    s.primary_view->peers_visible = 2;
    Step step = decide(s, m);
    EXPECT_EQ(step.next.state, State::Monitoring);
    EXPECT_EQ(find(step, ActionKind::DemoteFenced), nullptr);
    EXPECT_FALSE(step.next.fenced_since.has_value());
}

TEST(FenceDemote, DemotedPrimaryWithoutMajorityStaysInRecovery) {
    Step step = decide(demoted(1, 3), in_state(State::Monitoring));
    EXPECT_EQ(find(step, ActionKind::RestoreDemoted), nullptr);
    EXPECT_EQ(find(step, ActionKind::RejoinDemoted), nullptr);
    EXPECT_TRUE(says(step, "staying in recovery until it sees a majority"));
}

TEST(FenceDemote, DemotedPrimaryReturnsOnlyWithAMajorityAndNoOtherPrimary) {
    Step step = decide(demoted(2, 3), in_state(State::Monitoring));
    const Action* a = find(step, ActionKind::RestoreDemoted, "repmgrd_isolation_fence_restore");
    ASSERT_NE(a, nullptr);
    // The claim on the witness is made on its own term: a standby that won
    // that term (and maybe promoted) keeps it from coming back.
    EXPECT_EQ(a->term.failed_primary_id, 1);
    EXPECT_EQ(a->term.timeline, 3);

    Snapshot paused = demoted(2, 3);
    paused.paused = true;
    EXPECT_EQ(find(decide(paused, in_state(State::Monitoring)), ActionKind::RestoreDemoted),
              nullptr);
}

TEST(FenceDemote, DemotedPrimaryRejoinsTheNewPrimary) {
    Step step = decide(demoted(3, 3, 2), in_state(State::Monitoring));
    EXPECT_EQ(find(step, ActionKind::RestoreDemoted), nullptr);
    const Action* a = find(step, ActionKind::RejoinDemoted);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->node, 2);

    Snapshot stop = demoted(3, 3, 2);
    stop.tuning.primary_fencing = Tuning::Fencing::Stop;
    Step kept = decide(stop, in_state(State::Monitoring));
    EXPECT_EQ(find(kept, ActionKind::RejoinDemoted), nullptr);
    EXPECT_EQ(find(kept, ActionKind::RestoreDemoted), nullptr);
    EXPECT_TRUE(says(kept, "rejoined by hand"));
}

TEST(Guard, IdleWhileRepmgrdIsAliveOrTheNodeIsNoPrimary) {
    GuardInput in;
    in.guard_timeout_s = 2;
    in.local_writable = true;
    in.heartbeat_age_s = 1.5;
    EXPECT_EQ(guard_decide(in).kind, GuardVerdict::Kind::Idle);
    in.heartbeat_age_s = 10;
    in.local_writable = false;
    EXPECT_EQ(guard_decide(in).kind, GuardVerdict::Kind::Idle);
    in.local_writable = true;
    in.guard_timeout_s = 0;
    EXPECT_EQ(guard_decide(in).kind, GuardVerdict::Kind::Idle);
}

TEST(Guard, SilentRepmgrdWithoutMajorityFencesThenDemotes) {
    GuardInput in;
    in.guard_timeout_s = 2;
    in.local_writable = true;
    in.heartbeat_age_s = 2.5;
    in.fence_demote_timeout_s = 1;
    EXPECT_EQ(guard_decide(in).kind, GuardVerdict::Kind::CheckMajority);
    in.majority = true;
    EXPECT_EQ(guard_decide(in).kind, GuardVerdict::Kind::Idle);
    in.majority = false;
    GuardVerdict v = guard_decide(in);
    EXPECT_EQ(v.kind, GuardVerdict::Kind::Fence);
    EXPECT_NE(v.reason.find("silent for 2.5 s"), std::string::npos);
    in.local_fenced = true;
    in.fenced_for_s = 0.5;
    EXPECT_EQ(guard_decide(in).kind, GuardVerdict::Kind::Wait);
    in.fenced_for_s = 1.0;
    EXPECT_EQ(guard_decide(in).kind, GuardVerdict::Kind::Demote);
    in.fence_demote_timeout_s = 0;  // 0: never demote
    EXPECT_EQ(guard_decide(in).kind, GuardVerdict::Kind::Wait);
}

TEST(Guard, SilentRepmgrdAndANewerPrimaryFencesDespiteAMajority) {
    // The old primary came back while its repmgrd hangs: it sees the others,
    // and one of them was promoted meanwhile.
    GuardInput in;
    in.guard_timeout_s = 2;
    in.local_writable = true;
    in.heartbeat_age_s = 30;
    in.majority = true;
    in.newer_primary_id = 2;
    in.newer_primary_timeline = 4;
    GuardVerdict v = guard_decide(in);
    EXPECT_EQ(v.kind, GuardVerdict::Kind::Fence);
    EXPECT_NE(v.reason.find("node 2 runs as primary on timeline 4"), std::string::npos);
    in.heartbeat_age_s = 1;  // repmgrd alive: it handles the other primary itself
    EXPECT_EQ(guard_decide(in).kind, GuardVerdict::Kind::Idle);
}

TEST(Guard, TimingRelationToTheStandbys) {
    // Defaults: 3 attempts x 2 s, receivers fresh for max(10, 3 x 2 + 2) s.
    EXPECT_EQ(standby_promote_earliest_seconds(3, 2, 10), 10);
    EXPECT_EQ(standby_promote_earliest_seconds(10, 5, 10), 45);
    // guard_timeout 2 s, 1 s poll, 2 s majority check: 5 s, 5 s before them.
    EXPECT_EQ(guard_fence_bound_seconds(2, 2), 5);
    // A guard_timeout as long as the detection cannot beat it.
    EXPECT_GE(guard_fence_bound_seconds(10, 2), standby_promote_earliest_seconds(3, 2, 10));
}

TEST(FenceDemote, FrozenPrimaryReplacedMeanwhileIsStoppedAndStartedAsAStandby) {
    Snapshot s;
    s.node_id = 1;
    s.role = NodeRole::Primary;
    s.local = {false, false, "timeout"};
    s.local_postmaster = LocalPostmaster::Running;  // frozen: the pid is there
    s.primary_elsewhere = 2;
    Step step = decide(s, in_state(State::Monitoring));
    const Action* pre = find(step, ActionKind::PreFence);
    ASSERT_NE(pre, nullptr);
    EXPECT_EQ(pre->node, 2);
    EXPECT_TRUE(pre->on);  // an immediate stop queued
    EXPECT_EQ(find(step, ActionKind::StartDemoted), nullptr);

    s.local_postmaster = LocalPostmaster::Running;  // still frozen: nothing more
    Step frozen = decide(s, step.next);
    EXPECT_EQ(find(frozen, ActionKind::PreFence), nullptr);
    EXPECT_EQ(find(frozen, ActionKind::StartDemoted), nullptr);

    s.local_postmaster = LocalPostmaster::Stopped;  // thawed, and the stop went through
    Step start = decide(s, frozen.next);
    EXPECT_NE(find(start, ActionKind::StartDemoted), nullptr);
    EXPECT_EQ(find(decide(s, start.next), ActionKind::StartDemoted), nullptr);  // once

    // A server that is down rather than frozen is only demoted on disk.
    Snapshot down = s;
    down.local_postmaster = LocalPostmaster::Crashed;
    Step d = decide(down, in_state(State::Monitoring));
    ASSERT_NE(find(d, ActionKind::PreFence), nullptr);
    EXPECT_FALSE(find(d, ActionKind::PreFence)->on);
    EXPECT_EQ(find(d, ActionKind::StartDemoted), nullptr);
}

TEST(FenceDemote, PrimaryFrozenForGuardTimeoutHasAStopQueuedBeforeAnyFailover) {
    // guard_timeout 2 s: a server that has given no answer for 2 s while its
    // postmaster runs is stopped when it runs again, and starts as a standby.
    Snapshot s;
    s.node_id = 1;
    s.role = NodeRole::Primary;
    s.local = {false, false, "no answer from the server within 2500 ms", true};
    s.local_postmaster = LocalPostmaster::Running;
    s.tuning.guard_timeout = 2;
    s.at = Clock::time_point{} + seconds(100);
    Memory m = in_state(State::Monitoring);
    m.local_last_answer = s.at - seconds(1);
    EXPECT_EQ(find(decide(s, m), ActionKind::PreFence), nullptr);  // not yet

    m.local_last_answer = s.at - seconds(2);
    Step step = decide(s, m);
    const Action* pre = find(step, ActionKind::PreFence);
    ASSERT_NE(pre, nullptr);
    EXPECT_TRUE(pre->on);     // the immediate stop
    EXPECT_EQ(pre->node, 0);  // no other primary known yet
    EXPECT_NE(pre->details.find("its server has not answered for 2.0 s while its postmaster runs"),
              std::string::npos)
        << pre->details;
    EXPECT_EQ(find(decide(s, step.next), ActionKind::PreFence), nullptr);  // once

    s.local_postmaster = LocalPostmaster::Stopped;  // thawed: the stop went through
    EXPECT_NE(find(decide(s, step.next), ActionKind::StartDemoted), nullptr);

    // Not for a refusal (an error answers at once), a postmaster that is
    // gone, a paused repmgrd, or without the guard.
    Snapshot refused = s;
    refused.local_postmaster = LocalPostmaster::Running;
    refused.local.no_answer = false;
    EXPECT_EQ(find(decide(refused, m), ActionKind::PreFence), nullptr);
    Snapshot crashed = refused;
    crashed.local.no_answer = true;
    crashed.local_postmaster = LocalPostmaster::Crashed;
    EXPECT_EQ(find(decide(crashed, m), ActionKind::PreFence), nullptr);
    Snapshot paused = crashed;
    paused.local_postmaster = LocalPostmaster::Running;
    paused.paused = true;
    EXPECT_EQ(find(decide(paused, m), ActionKind::PreFence), nullptr);
    Snapshot unguarded = paused;
    unguarded.paused = false;
    unguarded.tuning.guard_timeout = 0;
    EXPECT_EQ(find(decide(unguarded, m), ActionKind::PreFence), nullptr);
    // The answer refreshes the clock.
    Snapshot back = unguarded;
    back.local = {true, false, {}};
    EXPECT_EQ(decide(back, m).next.local_last_answer, back.at);
}

TEST(Guard, StandbysWaitLongerThanAFrozenPrimarysStop) {
    // Frozen just after an answered check: the next check starts 1 s later
    // and fails after 2.5 s; guard_timeout 2 s has passed by then. A standby
    // may have last seen it up to 1 s before the freeze: it waits 7 s.
    EXPECT_EQ(stall_fence_bound_seconds(2, 1, 2), 7);
    EXPECT_GT(stall_fence_bound_seconds(2, 1, 2) - 1, 1 + 2 + 0.5 + 2);
}
