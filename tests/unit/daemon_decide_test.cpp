// repmgrd's pure core: decide() from fabricated snapshots, the state table,
// and the reload diff. No database.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "config/config.hpp"
#include "daemon/decide/decide.hpp"
#include "daemon/reload.hpp"
#include "daemon/decide/state_machine.hpp"

using namespace repmgr;
using namespace repmgr::repmgrd;

namespace {

Snapshot healthy_standby() {
    Snapshot s;
    s.node_id = 2;
    s.role = NodeRole::Standby;
    s.local = {true, true, {}};
    s.upstream_id = 1;
    s.upstream = {true, false, {}};
    s.primary_writable = true;
    s.positions = {"0/3000000", "0/3000000", "0/3000000"};
    s.tuning.monitoring_history = true;
    return s;
}

Memory started() {
    Memory m;
    m.start_recorded = true;
    m.upstream_id = 1;
    return m;
}

bool has(const Step& step, ActionKind kind, const std::string& event = {}) {
    return std::any_of(step.actions.begin(), step.actions.end(), [&](const Action& a) {
        return a.kind == kind && (event.empty() || a.event == event);
    });
}

}  // namespace

TEST(DaemonDecide, FirstTickRecordsStartAndReportsHistory) {
    Step step = decide(healthy_standby(), Memory{});
    EXPECT_TRUE(has(step, ActionKind::RecordEvent, "repmgrd_start"));
    EXPECT_TRUE(has(step, ActionKind::Heartbeat));
    EXPECT_TRUE(has(step, ActionKind::WriteHistory));
    EXPECT_EQ(step.next.state, State::Monitoring);
    EXPECT_EQ(step.wait, std::chrono::seconds(2));
    EXPECT_EQ(step.reason, "standby is running; upstream node 1 answers");
    EXPECT_FALSE(has(decide(healthy_standby(), step.next), ActionKind::RecordEvent));
}

TEST(DaemonDecide, NoHistoryWhenDisabledOrPrimaryUnreachable) {
    Snapshot s = healthy_standby();
    s.tuning.monitoring_history = false;
    EXPECT_FALSE(has(decide(s, started()), ActionKind::WriteHistory));
    s = healthy_standby();
    s.primary_writable = false;
    Step step = decide(s, started());
    EXPECT_FALSE(has(step, ActionKind::WriteHistory));
    EXPECT_FALSE(has(step, ActionKind::Heartbeat));
}

TEST(DaemonDecide, UpstreamLossCountsAttemptsThenDeclaresFailure) {
    Snapshot s = healthy_standby();
    s.tuning.reconnect_attempts = 3;
    s.tuning.reconnect_interval = 5;
    s.upstream = {false, false, "connection refused"};
    s.primary_writable = false;

    Step one = decide(s, started());
    EXPECT_EQ(one.next.state, State::UpstreamLost);
    EXPECT_TRUE(has(one, ActionKind::RecordEvent, "repmgrd_upstream_disconnect"));
    EXPECT_EQ(one.wait, std::chrono::seconds(5));
    EXPECT_EQ(one.reason,
              "upstream node 1 does not answer (connection refused): check 1/3, next in 5 s");
    ASSERT_EQ(one.transitions.size(), 1u);
    EXPECT_EQ(one.transitions[0], "from monitoring to upstream-lost: upstream check failed");

    s.at += std::chrono::seconds(5);  // attempts are reconnect_interval apart
    Step two = decide(s, one.next);
    EXPECT_EQ(two.next.state, State::UpstreamLost);
    EXPECT_FALSE(has(two, ActionKind::RecordEvent));  // the disconnect is reported once
    s.at += std::chrono::seconds(5);
    Step three = decide(s, two.next);
    EXPECT_EQ(three.next.state, State::UpstreamFailed);
    EXPECT_NE(three.reason.find("failover=manual"), std::string::npos);

    Step back = decide(healthy_standby(), three.next);
    EXPECT_EQ(back.next.state, State::Monitoring);
    EXPECT_EQ(back.next.upstream_failures, 0);
    EXPECT_TRUE(has(back, ActionKind::RecordEvent, "repmgrd_upstream_reconnect"));
}

TEST(DaemonDecide, PausedNeverActsAndSaysSo) {
    Snapshot s = healthy_standby();
    s.tuning.reconnect_attempts = 1;
    s.tuning.automatic_failover = true;
    s.paused = true;
    s.upstream = {false, false, "timeout"};
    Step step = decide(s, started());
    EXPECT_EQ(step.next.state, State::UpstreamFailed);
    EXPECT_NE(step.reason.find("repmgrd is paused, so no failover action is taken"),
              std::string::npos);
}

TEST(DaemonDecide, LocalServerDownIsReportedOnceAndBlocksUpstreamJudgement) {
    Snapshot s = healthy_standby();
    s.local = {false, false, "server closed the connection"};
    s.upstream = {false, false, "refused"};
    Step down = decide(s, started());
    EXPECT_EQ(down.next.state, State::LocalDown);
    EXPECT_TRUE(has(down, ActionKind::RecordEvent, "repmgrd_local_disconnect"));
    EXPECT_FALSE(has(down, ActionKind::WriteHistory));
    EXPECT_EQ(down.next.upstream_failures, 0);

    Step still = decide(s, down.next);
    EXPECT_FALSE(has(still, ActionKind::RecordEvent, "repmgrd_local_disconnect"));

    Step up = decide(healthy_standby(), still.next);
    EXPECT_EQ(up.next.state, State::Monitoring);
    EXPECT_TRUE(has(up, ActionKind::RecordEvent, "repmgrd_local_reconnect"));
}

TEST(DaemonDecide, PrimaryWarnsOnceAboutMissingStandbys) {
    Snapshot s;
    s.node_id = 1;
    s.role = NodeRole::Primary;
    s.local = {true, false, {}};
    s.primary_writable = true;
    s.expected_standbys = {"node2", "node3"};
    s.attached_standbys = {"node2"};
    Step one = decide(s, Memory{});
    EXPECT_TRUE(has(one, ActionKind::LogWarning));
    EXPECT_EQ(one.reason, "primary is running; 1 of 2 registered standby(s) attached");
    EXPECT_FALSE(has(decide(s, one.next), ActionKind::LogWarning));
    EXPECT_FALSE(has(one, ActionKind::WriteHistory));
}

TEST(DaemonDecide, WitnessSyncsOnItsOwnInterval) {
    Snapshot s;
    s.node_id = 3;
    s.role = NodeRole::Witness;
    s.local = {true, false, {}};
    s.primary_writable = true;
    s.tuning.witness_sync_interval = 15;
    Step one = decide(s, Memory{});
    EXPECT_TRUE(has(one, ActionKind::SyncWitness));
    s.at += std::chrono::seconds(5);
    Step two = decide(s, one.next);
    EXPECT_FALSE(has(two, ActionKind::SyncWitness));
    s.at += std::chrono::seconds(10);
    EXPECT_TRUE(has(decide(s, two.next), ActionKind::SyncWitness));
}

TEST(DaemonStateTable, EveryStateReachableAndCanReturnToMonitoring) {
    std::set<State> reached{State::Monitoring};
    for (bool grew = true; grew;) {
        grew = false;
        for (const auto& t : transitions())
            if (reached.count(t.from) && reached.insert(t.to).second) grew = true;
    }
    for (State s : all_states()) {
        EXPECT_TRUE(reached.count(s)) << state_name(s);
        bool has_exit = std::any_of(transitions().begin(), transitions().end(),
                                    [&](const Transition& t) { return t.from == s; });
        EXPECT_TRUE(has_exit) << state_name(s) << " has no way out";
        EXPECT_FALSE(state_name(s).empty());
    }
    for (const auto& t : transitions()) EXPECT_FALSE(t.comment.empty());
    EXPECT_EQ(find_transition(State::LocalDown, Trigger::UpstreamLost), nullptr);
}

TEST(DaemonReload, ReloadableChangesApplyOthersWaitForRestart) {
    Config running = parse_config("cluster=test\nnode=2\nnode_name=n2\nconninfo='host=a'\n"
                                  "monitor_interval_secs=60\n", "a.conf").config;
    Config reread = parse_config("cluster=test\nnode=2\nnode_name=n2\nconninfo='host=b'\n"
                                 "monitor_interval_secs=1\nmonitoring_history=on\n", "a.conf").config;
    auto changes = diff_settings(running, reread);
    ASSERT_EQ(changes.size(), 3u);
    EXPECT_EQ(changes[0].name, "conninfo");
    EXPECT_FALSE(changes[0].reloadable);
    EXPECT_EQ(changes[1].name, "monitor_interval_secs");
    EXPECT_TRUE(changes[1].reloadable);
    Config applied = apply_reloadable(running, reread);
    EXPECT_EQ(applied.conninfo, "host=a");
    EXPECT_EQ(applied.monitor_interval_secs, 1);
    EXPECT_TRUE(applied.monitoring_history);
    EXPECT_EQ(wait_for(State::Monitoring, Tuning{.monitor_interval_secs = 1}),
              std::chrono::seconds(1));
}
