// The zero-loss plan (decide/zero_loss.hpp): the record is widened before
// synchronous_standby_names changes and narrowed only after, a failed
// synchronous standby is replaced only by a caught-up one, and with nobody
// eligible "on" falls back to asynchronous commits while "strict" waits.
#include <gtest/gtest.h>

#include "daemon/decide/election.hpp"
#include "daemon/decide/zero_loss.hpp"

using namespace repmgr;
using namespace repmgr::repmgrd;
using Kind = ZeroLossPlan::Kind;

namespace {

constexpr Lsn kAt = 1000000000;

SyncStandby standby(int id, bool streaming = true, Lsn flush = kAt) {
    SyncStandby s;
    s.node_id = id;
    s.name = "node" + std::to_string(id);
    s.streaming = streaming;
    s.flush_lsn = flush;
    return s;
}

ZeroLossView view(std::string names, std::optional<std::vector<int>> record,
                  std::vector<SyncStandby> standbys) {
    ZeroLossView v;
    v.current_names = std::move(names);
    v.record = std::move(record);
    v.standbys = std::move(standbys);
    v.primary_lsn = kAt;
    return v;
}

ZeroLossPlan plan(SyncMode mode, const ZeroLossView& v,
                  const std::optional<NarrowMark>& mark = std::nullopt) {
    return plan_zero_loss(mode, 1, 1, "default", v, mark);
}

const std::string kNode2 = "FIRST 1 (\"node2\")";
const std::string kNode3 = "FIRST 1 (\"node3\")";

}  // namespace

TEST(ZeroLoss, OffDoesNothing) {
    EXPECT_EQ(plan(SyncMode::Off, view("", std::nullopt, {standby(2)})).kind, Kind::None);
}

TEST(ZeroLoss, FirstStandbyIsRecordedBeforeItIsNamed) {
    auto p = plan(SyncMode::On, view("", std::nullopt, {standby(2), standby(3)}));
    ASSERT_EQ(p.kind, Kind::WidenRecord);
    EXPECT_EQ(p.record, std::vector<int>{2});
    // Next tick: the record holds node 2, the names may change.
    p = plan(SyncMode::On, view("", std::vector<int>{2}, {standby(2), standby(3)}));
    ASSERT_EQ(p.kind, Kind::SetNames);
    EXPECT_EQ(p.names, kNode2);
    EXPECT_FALSE(p.fallback);
    // Names in effect, record exact: nothing more.
    EXPECT_EQ(plan(SyncMode::On, view(kNode2, std::vector<int>{2}, {standby(2), standby(3)})).kind,
              Kind::None);
}

TEST(ZeroLoss, ReplacementWidensBeforeAndNarrowsAfter) {
    // Node 2 (synchronous) is gone; node 3 has caught up.
    auto standbys = std::vector<SyncStandby>{standby(2, false), standby(3)};
    auto p = plan(SyncMode::On, view(kNode2, std::vector<int>{2}, standbys));
    ASSERT_EQ(p.kind, Kind::WidenRecord);
    EXPECT_EQ(p.record, (std::vector<int>{2, 3}));  // old ∪ new, before the names change

    p = plan(SyncMode::On, view(kNode2, std::vector<int>{2, 3}, standbys));
    ASSERT_EQ(p.kind, Kind::SetNames);
    EXPECT_EQ(p.names, kNode3);

    // The names are in effect: the record is not narrowed in that same
    // tick; the primary's position is remembered instead.
    auto v = view(kNode3, std::vector<int>{2, 3}, standbys);
    p = plan(SyncMode::On, v);
    EXPECT_EQ(p.kind, Kind::None);
    ASSERT_TRUE(p.mark);
    EXPECT_EQ(p.mark->lsn, kAt);

    // Node 3 has not flushed up to that position yet: still wide.
    auto behind = view(kNode3, std::vector<int>{2, 3}, {standby(2, false), standby(3, true, kAt - 1)});
    behind.primary_lsn = kAt + 10;
    auto q = plan(SyncMode::On, behind, p.mark);
    EXPECT_EQ(q.kind, Kind::None);
    EXPECT_TRUE(q.mark);

    // It has: narrow to the new set.
    auto caught = view(kNode3, std::vector<int>{2, 3}, {standby(2, false), standby(3, true, kAt + 10)});
    caught.primary_lsn = kAt + 10;
    q = plan(SyncMode::On, caught, p.mark);
    ASSERT_EQ(q.kind, Kind::NarrowRecord);
    EXPECT_EQ(q.record, std::vector<int>{3});
}

TEST(ZeroLoss, NamesNeverListAnUnrecordedStandby) {
    // Walk the whole replacement, checking the invariant at every step: the
    // names a step sets are always covered by the record as it is then.
    std::vector<int> record{2};
    std::string names = kNode2;
    std::optional<NarrowMark> mark;
    auto standbys = std::vector<SyncStandby>{standby(2, false), standby(3)};
    for (int tick = 0; tick < 6; ++tick) {
        auto p = plan(SyncMode::Strict, view(names, record, standbys), mark);
        mark = p.mark;
        if (p.kind == Kind::WidenRecord || p.kind == Kind::NarrowRecord) record = p.record;
        if (p.kind == Kind::SetNames) {
            for (const auto& n : parse_sync_names(p.names))
                EXPECT_TRUE(n != "node3" || std::count(record.begin(), record.end(), 3))
                    << "names " << p.names << " set before node 3 was recorded";
            names = p.names;
        }
        // The record always holds whoever the names list.
        for (const auto& n : parse_sync_names(names))
            EXPECT_TRUE(std::count(record.begin(), record.end(), std::stoi(n.substr(4))));
    }
    EXPECT_EQ(names, kNode3);
    EXPECT_EQ(record, std::vector<int>{3});
}

TEST(ZeroLoss, ReplacementOnlyOnceCaughtUp) {
    // Node 3 streams but is far behind: it is not named, and with nobody
    // else eligible "on" falls back to asynchronous commits.
    auto far = standby(3, true, kAt - kCatchUpBytes - 1);
    auto p = plan(SyncMode::On, view(kNode2, std::vector<int>{2}, {standby(2, false), far}));
    ASSERT_EQ(p.kind, Kind::SetNames);
    EXPECT_TRUE(p.fallback);
    EXPECT_EQ(p.names, "");
    // A standby with priority 0 is never named.
    auto zero = standby(3);
    zero.priority = 0;
    p = plan(SyncMode::On, view(kNode2, std::vector<int>{2}, {standby(2, false), zero}));
    EXPECT_TRUE(p.fallback);
}

TEST(ZeroLoss, ASilentLaggingSynchronousStandbyIsReplaced) {
    // Node 2 still shows as streaming (cut off: the walsender has not timed
    // out) but is behind and silent: replaced by the caught-up node 3.
    auto cut = standby(2, true, kAt - 100);
    cut.reply_age_s = kReplyStaleSecs + 1;
    auto p = plan(SyncMode::On, view(kNode2, std::vector<int>{2}, {cut, standby(3)}));
    ASSERT_EQ(p.kind, Kind::WidenRecord);
    EXPECT_EQ(p.record, (std::vector<int>{2, 3}));
    // Idle and caught up, an old reply means nothing.
    auto idle = standby(2);
    idle.reply_age_s = 9;
    EXPECT_EQ(plan(SyncMode::On, view(kNode2, std::vector<int>{2}, {idle, standby(3)})).kind,
              Kind::None);
}

TEST(ZeroLoss, FallbackKeepsTheRecord) {
    // Asynchronous after the fallback: the record still names node 2, which
    // acknowledged commits before; it is neither narrowed nor cleared.
    auto p = plan(SyncMode::On, view("", std::vector<int>{2}, {standby(2, false)}));
    EXPECT_EQ(p.kind, Kind::None);
    EXPECT_FALSE(p.mark);
    // Node 2 is back and caught up: named again at once (already recorded).
    p = plan(SyncMode::On, view("", std::vector<int>{2}, {standby(2)}));
    ASSERT_EQ(p.kind, Kind::SetNames);
    EXPECT_EQ(p.names, kNode2);
}

TEST(ZeroLoss, StrictKeepsTheNamesAndWaits) {
    auto p = plan(SyncMode::Strict, view(kNode2, std::vector<int>{2}, {standby(2, false)}));
    EXPECT_EQ(p.kind, Kind::None);
    EXPECT_TRUE(p.warn);
    EXPECT_NE(p.reason.find("commits wait"), std::string::npos) << p.reason;
}

TEST(ZeroLoss, SameLocationThenPriorityFirst) {
    auto a = standby(2);
    a.location = "far";
    a.priority = 200;
    auto b = standby(3);
    b.priority = 50;
    auto c = standby(4);
    c.priority = 100;
    auto p = plan(SyncMode::On, view("", std::vector<int>{}, {a, b, c}));
    ASSERT_EQ(p.kind, Kind::WidenRecord);
    EXPECT_EQ(p.record, std::vector<int>{4});
}

TEST(ZeroLoss, HandSetNamesAreRecorded) {
    auto p = plan(SyncMode::On, view(kNode2, std::nullopt, {standby(2)}));
    ASSERT_EQ(p.kind, Kind::WidenRecord);
    EXPECT_EQ(p.record, std::vector<int>{2});
}

TEST(ZeroLoss, ParsesSynchronousStandbyNames) {
    EXPECT_EQ(parse_sync_names("FIRST 2 (\"a\", b)"), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(parse_sync_names("ANY 1 (a,\"b\"\"c\")"), (std::vector<std::string>{"a", "b\"c"}));
    EXPECT_EQ(parse_sync_names("a, b"), (std::vector<std::string>{"a", "b"}));
    EXPECT_TRUE(parse_sync_names("").empty());
    EXPECT_TRUE(parse_sync_names("*").empty());
    EXPECT_EQ(render_sync_names(1, {"x", "y"}), "FIRST 1 (\"x\", \"y\")");
}

// Failover side: only a recorded candidate is promoted.
namespace {
ElectionInput sync_election(int self) {
    ElectionInput in;
    in.self_id = self;
    in.failed_primary_id = 1;
    CandidateView s2, s3;
    s2.node_id = 2;
    s2.reachable = true;
    s2.received_lsn = 100;
    s3.node_id = 3;
    s3.reachable = true;
    s3.received_lsn = 200;  // the async one is ahead, but never acknowledged a commit
    in.standbys = {s2, s3};
    in.has_witness = true;
    in.witness_reachable = true;
    in.zero_loss_candidates = std::vector<int>{2};
    return in;
}
}  // namespace

TEST(ZeroLossElection, OnlyARecordedCandidateWins) {
    auto r = elect(sync_election(3));
    EXPECT_EQ(r.outcome, ElectionOutcome::FollowOther);
    EXPECT_EQ(r.winner_id, 2);
    EXPECT_EQ(elect(sync_election(2)).outcome, ElectionOutcome::PromoteSelf);
}

TEST(ZeroLossElection, NoRecordedCandidateReachableMeansNoPromotion) {
    auto in = sync_election(3);
    in.standbys[0].reachable = false;
    auto r = elect(in);
    EXPECT_EQ(r.outcome, ElectionOutcome::NoCandidate);
    EXPECT_NE(r.reason.find("the standbys that acknowledged commits, node 2, are unreachable"),
              std::string::npos)
        << r.reason;
}

TEST(ZeroLossElection, NothingRecordedMeansNoPromotion) {
    auto in = sync_election(3);
    in.zero_loss_candidates = std::vector<int>{};
    auto r = elect(in);
    EXPECT_EQ(r.outcome, ElectionOutcome::NoCandidate);
    EXPECT_NE(r.reason.find("no zero-loss candidate"), std::string::npos) << r.reason;
}

TEST(LagBounds, BytesBoundExcludesALaggingCandidate) {
    auto in = sync_election(3);
    in.zero_loss_candidates.reset();
    in.primary_last_lsn = 250;
    in.max_lag_bytes = 100;
    auto r = elect(in);  // node 2 misses 150 bytes: excluded; node 3 misses 50
    EXPECT_EQ(r.outcome, ElectionOutcome::PromoteSelf);
    in.max_lag_bytes = 10;
    r = elect(in);
    EXPECT_EQ(r.outcome, ElectionOutcome::NoCandidate);
    EXPECT_NE(r.reason.find("node 3 may miss 50 bytes"), std::string::npos) << r.reason;
    EXPECT_NE(r.reason.find("failover_max_lag_bytes (10)"), std::string::npos) << r.reason;
}

TEST(LagBounds, SecondsBoundExcludesAStaleCandidate) {
    auto in = sync_election(3);
    in.zero_loss_candidates.reset();
    in.max_lag_secs = 5;
    in.standbys[1].heartbeat_lag_s = 7.5;
    auto r = elect(in);
    EXPECT_EQ(r.outcome, ElectionOutcome::FollowOther);  // node 2 (lag unknown) wins
    EXPECT_EQ(r.winner_id, 2);
    // The log line says who was passed over and by how much.
    EXPECT_NE(r.reason.find("not eligible: node 3 may miss 7.5 s"), std::string::npos) << r.reason;
    in.standbys[0].heartbeat_lag_s = 6.0;
    r = elect(in);
    EXPECT_EQ(r.outcome, ElectionOutcome::NoCandidate);
    EXPECT_NE(r.reason.find("node 3 may miss 7.5 s"), std::string::npos) << r.reason;
}
