// decide() for a primary with arbiter=etcd, from fabricated snapshots: the
// leader lease is the quorum. It fences itself before its lease can lapse,
// when another node holds the key, and lifts the fence when it holds the key
// again; what it sees of the standbys no longer matters. No database.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "daemon/decide/decide.hpp"
#include "daemon_snapshots.hpp"

using namespace repmgr::repmgrd;
using namespace repmgr::repmgrd::testing;
using std::chrono::seconds;

namespace {

Snapshot primary_with_lease(bool held, bool reachable = true, int holder = 0) {
    Snapshot s;
    s.at = Clock::time_point{} + seconds(1000);
    s.node_id = 1;
    s.role = NodeRole::Primary;
    s.local = {true, false, {}};
    s.primary_writable = true;
    s.tuning.isolation_fencing = true;
    s.tuning.fence_demote_timeout = 0;  // stays fenced read-only; demotion tested below
    Leadership l;
    l.applies = true;
    l.reachable = reachable;
    l.held = held;
    l.holder = held ? 1 : holder;
    l.ttl_s = 10;
    if (!reachable) l.error = "no etcd endpoint answered /v3/kv/range within 2000 ms";
    s.leadership = l;
    // Sees none of its standbys: the majority rule would fence it.
    PrimaryView pv;
    pv.own_timeline = 1;
    pv.peers_visible = 0;
    pv.peers_total = 2;
    s.primary_view = pv;
    return s;
}

}  // namespace

TEST(DaemonLease, APrimaryHoldingTheKeyStaysWritableWhateverItSees) {
    Snapshot s = primary_with_lease(true);
    Step step = decide(s, in_state(State::Monitoring));
    EXPECT_EQ(step.next.state, State::Monitoring);
    EXPECT_EQ(find(step, ActionKind::ReadOnlyFence), nullptr);
    ASSERT_TRUE(step.next.lease_until);
    EXPECT_EQ(*step.next.lease_until, s.at + seconds(10));
}

TEST(DaemonLease, AFailedRenewalWarnsFirstThenFencesBeforeTheLeaseCanLapse) {
    Snapshot held = primary_with_lease(true);
    Memory m = decide(held, in_state(State::Monitoring)).next;  // lease until +10 s

    // 2 s later: 8 s left, more than one interval (2 s) + one check (2 s).
    Snapshot s = primary_with_lease(false, false);
    s.at = held.at + seconds(2);
    Step warn = decide(s, m);
    EXPECT_EQ(warn.next.state, State::Monitoring);
    EXPECT_EQ(find(warn, ActionKind::ReadOnlyFence), nullptr);
    const Action* w = find(warn, ActionKind::LogWarning);
    ASSERT_NE(w, nullptr);
    EXPECT_NE(w->details.find("could not renew its leader lease on etcd (no etcd endpoint "
                              "answered"),
              std::string::npos)
        << w->details;
    EXPECT_NE(w->details.find("it lasts 8.0 s more"), std::string::npos) << w->details;

    // 6 s after the renewal: 4 s left, not enough for another try.
    s.at = held.at + seconds(6);
    Step fenced = decide(s, warn.next);
    EXPECT_EQ(fenced.next.state, State::Isolated);
    const Action* f = find(fenced, ActionKind::ReadOnlyFence);
    ASSERT_NE(f, nullptr);
    EXPECT_TRUE(f->on);
    EXPECT_NE(f->details.find("could not renew its leader lease"), std::string::npos);
    EXPECT_NE(f->details.find("making this node read-only"), std::string::npos);

    // Renewed again: the fence is lifted under this node's own term.
    Snapshot back = primary_with_lease(true);
    back.at = held.at + seconds(8);
    back.local_fenced = true;
    back.primary_view->fenced_read_only = true;
    Step lifted = decide(back, fenced.next);
    EXPECT_EQ(lifted.next.state, State::Monitoring);
    const Action* off = find(lifted, ActionKind::ReadOnlyFence);
    ASSERT_NE(off, nullptr);
    EXPECT_FALSE(off->on);
    EXPECT_EQ(off->term.failed_primary_id, 1);
    EXPECT_FALSE(lifted.next.lease_renew_failing);
}

// Cut off from etcd, a tick waits out its calls' timeouts, and so will the
// next one: the fence must come a whole slow tick earlier than on a tick
// that failed fast, or it would come after a standby could take the key.
TEST(DaemonLease, ASlowFailedRenewalFencesOneSlowTickEarlier) {
    Snapshot held = primary_with_lease(true);
    Memory m = decide(held, in_state(State::Monitoring)).next;  // lease until +10 s

    // 2 s after the renewal, a renewal that failed fast: 8 s left, more than
    // one interval (2 s) + one check (2 s): not yet.
    Snapshot fast = primary_with_lease(false, false);
    fast.at = held.at + seconds(2);
    fast.leadership->answered_after_s = 0.05;
    EXPECT_EQ(find(decide(fast, m), ActionKind::ReadOnlyFence), nullptr);

    // The same moment, but this tick's calls took 3.5 s to fail: the next
    // tick decides 3.5 + 2 + 3.5 = 9 s after this snapshot, past 8 s.
    Snapshot slow = fast;
    slow.leadership->answered_after_s = 3.5;
    Step fenced = decide(slow, m);
    const Action* f = find(fenced, ActionKind::ReadOnlyFence);
    ASSERT_NE(f, nullptr);
    EXPECT_TRUE(f->on);
    EXPECT_EQ(fenced.next.state, State::Isolated);
    // The fence is a default any session may turn off, and the next tick
    // comes after the lease: the demotion comes with the fence.
    slow.tuning.fence_demote_timeout = 30;
    const Action* d = find(decide(slow, m), ActionKind::DemoteFenced);
    ASSERT_NE(d, nullptr);
    EXPECT_NE(d->details.find("may lapse before the next tick"), std::string::npos) << d->details;
    // fence_demote_timeout = 0 never demotes.
    slow.tuning.fence_demote_timeout = 0;
    EXPECT_EQ(find(decide(slow, m), ActionKind::DemoteFenced), nullptr);
}

TEST(DaemonLease, APrimaryThatNeverHeldTheKeyIsFencedAtOnce) {
    Snapshot s = primary_with_lease(false, false);
    Step step = decide(s, in_state(State::Monitoring));
    EXPECT_EQ(step.next.state, State::Isolated);
    const Action* f = find(step, ActionKind::ReadOnlyFence);
    ASSERT_NE(f, nullptr);
    EXPECT_NE(f->details.find("does not hold the leader key on etcd"), std::string::npos);
    // No lease to lapse (a primary starting while etcd is away): no demotion yet.
    EXPECT_EQ(find(step, ActionKind::DemoteFenced), nullptr);
}

TEST(DaemonLease, AnotherNodeHoldingTheKeyFencesAtOnceAndDemotesAfterTheTimeout) {
    Snapshot held = primary_with_lease(true);
    Memory m = decide(held, in_state(State::Monitoring)).next;
    Snapshot s = primary_with_lease(false, true, 2);
    s.at = held.at + seconds(1);  // the lease would last 9 s more: irrelevant
    s.tuning.fence_demote_timeout = 1;
    Step step = decide(s, m);
    EXPECT_EQ(step.next.state, State::Isolated);
    const Action* f = find(step, ActionKind::ReadOnlyFence);
    ASSERT_NE(f, nullptr);
    EXPECT_NE(f->details.find("node 2 holds the leader key on etcd, not this node"),
              std::string::npos);
    EXPECT_EQ(find(step, ActionKind::DemoteFenced), nullptr);

    s.at += seconds(1);
    s.local_fenced = true;
    Step later = decide(s, step.next);
    EXPECT_EQ(find(later, ActionKind::ReadOnlyFence), nullptr);  // already up
    const Action* d = find(later, ActionKind::DemoteFenced);
    ASSERT_NE(d, nullptr);
    EXPECT_NE(d->details.find("still does not hold the leader key"), std::string::npos);
}

TEST(DaemonLease, AStandbyWaitsWhileTheFailedPrimaryHoldsItsLeaseThenElects) {
    // The failed primary's key, read as its own claim: wait for it.
    Snapshot s = failed_upstream();
    s.failover->arbiter.name = "etcd";
    claimed_by(s, 1);
    Step wait = decide(s, in_state(State::Monitoring));
    EXPECT_EQ(wait.next.state, State::AwaitingLeader);
    EXPECT_EQ(find(wait, ActionKind::PromoteSelf), nullptr);
    EXPECT_NE(std::find_if(wait.decisions.begin(), wait.decisions.end(),
                           [](const std::string& d) {
                               return d.find("node 1 holds its own failover term on the etcd") !=
                                      std::string::npos;
                           }),
              wait.decisions.end());
    // Its lease lapsed: no claim any more, and the wait ends in an election.
    Snapshot later = failed_upstream();
    later.failover->arbiter.name = "etcd";
    later.at = s.at + seconds(10);
    Step elect = decide(later, wait.next);
    EXPECT_NE(find(elect, ActionKind::PromoteSelf), nullptr) << elect.reason;
}

// etcd_failsafe: etcd answers nobody. Past the lease's margin the primary
// stays writable only while every other node's promise lasts beyond its next
// check (margin 2 + 2 s, plus 1 s for the fence itself): ttl 10 - age > 5.
TEST(DaemonLease, FailsafeKeepsThePrimaryWritableOnlyWhileEveryNodePromises) {
    Snapshot held = primary_with_lease(true);
    Memory m = decide(held, in_state(State::Monitoring)).next;

    Snapshot s = primary_with_lease(false, false);
    s.at = held.at + seconds(7);  // the lease may lapse before the next try
    s.failsafe_promises = std::vector<FailsafePromise>{{2, 1.0}, {3, 4.5}};
    Step kept = decide(s, m);
    EXPECT_EQ(kept.next.state, State::Monitoring);
    EXPECT_EQ(find(kept, ActionKind::ReadOnlyFence), nullptr);
    EXPECT_TRUE(kept.next.failsafe_active);
    const Action* w = find(kept, ActionKind::LogWarning);
    ASSERT_NE(w, nullptr);
    EXPECT_NE(w->details.find("every other node (2, 3) streams from it and cannot reach etcd"),
              std::string::npos)
        << w->details;

    // Node 3's promise is too old to outlast the next check: fenced, and told why.
    s.at += seconds(2);
    s.failsafe_promises = std::vector<FailsafePromise>{{2, 1.0}, {3, 5.0}};
    Step fenced = decide(s, kept.next);
    EXPECT_EQ(fenced.next.state, State::Isolated);
    const Action* f = find(fenced, ActionKind::ReadOnlyFence);
    ASSERT_NE(f, nullptr);
    EXPECT_NE(f->details.find("etcd_failsafe does not keep it writable: node(s) 3 did not promise"),
              std::string::npos)
        << f->details;
    EXPECT_FALSE(fenced.next.failsafe_active);
}

TEST(DaemonLease, FailsafeNeedsAPromiseFromEveryNodeAndNeverLiftsAFence) {
    Snapshot s = primary_with_lease(false, false);
    s.failsafe_promises = std::vector<FailsafePromise>{{2, 1.0}, {3, std::nullopt}};
    Step step = decide(s, in_state(State::Monitoring));
    EXPECT_EQ(step.next.state, State::Isolated);
    ASSERT_NE(find(step, ActionKind::ReadOnlyFence), nullptr);

    // Every promise fresh, but the node is already fenced: it stays fenced
    // until it holds the key again.
    s.failsafe_promises = std::vector<FailsafePromise>{{2, 1.0}, {3, 1.0}};
    s.local_fenced = true;
    Step still = decide(s, step.next);
    EXPECT_EQ(still.next.state, State::Isolated);
    EXPECT_FALSE(still.next.failsafe_active);
}

TEST(DaemonLease, FailsafeNeverOverridesAnotherHolderOrAVanishedKey) {
    Snapshot held = primary_with_lease(true);
    Memory m = decide(held, in_state(State::Monitoring)).next;
    Snapshot other = primary_with_lease(false, true, 2);
    other.at = held.at + seconds(2);
    other.failsafe_promises = std::vector<FailsafePromise>{{2, 0.5}, {3, 0.5}};
    EXPECT_NE(find(decide(other, m), ActionKind::ReadOnlyFence), nullptr);

    Snapshot gone = primary_with_lease(false, true, 0);  // etcd answers: no key, none taken
    gone.at = held.at + seconds(7);
    gone.failsafe_promises = std::vector<FailsafePromise>{{2, 0.5}, {3, 0.5}};
    EXPECT_NE(find(decide(gone, m), ActionKind::ReadOnlyFence), nullptr);
}
