// decide() and crash reports, from fabricated snapshots: a primary's repmgrd
// reports its own server's crash (after primary_restart_grace, never for a
// frozen or cleanly stopped postmaster), and a standby believes a report only
// from the node it considers the primary, on the current timeline, written
// after its last contact. No database.
#include <gtest/gtest.h>

#include "daemon/decide/decide.hpp"
#include "daemon_snapshots.hpp"

using namespace repmgr;
using namespace repmgr::repmgrd;
using namespace repmgr::repmgrd::testing;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

NodeRecord node(int id, NodeType type) {
    NodeRecord n;
    n.id = id;
    n.type = type;
    return n;
}

// Standby 2 of primary 1, with reconnect attempts that would take long; its
// upstream answered 3 s before this tick, on timeline 1.
struct StandbyCase {
    Snapshot s = failed_upstream(2);
    Memory m = in_state(State::Monitoring);
    StandbyCase() {
        s.at = Clock::time_point{} + seconds(100);
        s.tuning.reconnect_attempts = 6;
        s.tuning.reconnect_interval = 5;
        s.nodes = {node(1, NodeType::Master), node(2, NodeType::Standby),
                   node(3, NodeType::Standby), node(4, NodeType::Witness)};
        m.upstream_was_up = true;
        m.primary_timeline = TimelineSeen{1, 1};
        m.upstream_last_contact = s.at - seconds(3);
        s.crash_report = CrashReport{1, 1, 1, 1500};  // written 1.5 s ago
    }
};

// Primary 1 whose server stopped answering.
Snapshot primary_down(LocalPostmaster pm, Clock::time_point at) {
    Snapshot s;
    s.node_id = 1;
    s.role = NodeRole::Primary;
    s.local = {false, false, "connection refused"};
    s.local_postmaster = pm;
    s.at = at;
    s.tuning.automatic_failover = true;
    return s;
}

Memory primary_memory() {
    Memory m;
    m.start_recorded = true;
    m.role = NodeRole::Primary;
    m.own_timeline = 3;
    return m;
}

}  // namespace

TEST(DaemonCrashReport, FreshReportFromThePrimarySkipsTheReconnectAttempts) {
    StandbyCase c;
    Step step = decide(c.s, c.m);
    // Monitoring -> upstream-lost -> upstream-failed -> electing -> promoting, in one tick.
    EXPECT_EQ(step.next.state, State::Promoting);
    ASSERT_GE(step.transitions.size(), 2u);
    EXPECT_NE(step.transitions[1].find("the primary's repmgrd reported its server crashed"),
              std::string::npos);
    EXPECT_NE(step.next.crash_confirmation.find("upstream node 1 crashed"), std::string::npos);
    const Action* promote = find(step, ActionKind::PromoteSelf);
    ASSERT_NE(promote, nullptr);
    EXPECT_TRUE(promote->times.by_crash_report);
    EXPECT_TRUE(promote->times.confirmed && promote->times.decided && promote->times.noticed);
}

TEST(DaemonCrashReport, ReportOlderThanTheLastContactIsIgnored) {
    StandbyCase c;
    c.s.crash_report->age_ms = 4000;  // the primary answered 3 s ago: it ran after the report
    Step step = decide(c.s, c.m);
    EXPECT_EQ(step.next.state, State::UpstreamLost);
    EXPECT_EQ(find(step, ActionKind::PromoteSelf), nullptr);
    EXPECT_TRUE(says(step, "older than this standby's last contact")) << step.reason;
}

TEST(DaemonCrashReport, ReportBeyondTheFreshnessBoundIsIgnored) {
    StandbyCase c;
    c.m.upstream_last_contact = c.s.at - seconds(600);
    c.s.crash_report->age_ms = crash_report_max_age_ms(c.s.tuning) + 1;
    Step step = decide(c.s, c.m);
    EXPECT_EQ(step.next.state, State::UpstreamLost);
    EXPECT_TRUE(says(step, "old (more than")) << step.reason;
}

TEST(DaemonCrashReport, ReportAboutAnotherNodeIsIgnored) {
    StandbyCase c;
    c.s.crash_report->node_id = 3;
    c.s.crash_report->reporter_id = 3;
    Step step = decide(c.s, c.m);
    EXPECT_EQ(step.next.state, State::UpstreamLost);
    EXPECT_TRUE(says(step, "is about node 3, not about upstream node 1")) << step.reason;
}

TEST(DaemonCrashReport, ReportWrittenByAnotherNodeIsIgnored) {
    StandbyCase c;
    c.s.crash_report->reporter_id = 3;
    Step step = decide(c.s, c.m);
    EXPECT_EQ(step.next.state, State::UpstreamLost);
    EXPECT_TRUE(says(step, "written by node 3")) << step.reason;
}

TEST(DaemonCrashReport, ReportAboutAnUpstreamThatIsNotThePrimaryIsIgnored) {
    StandbyCase c;  // a cascaded standby: its upstream 1 is registered as a standby
    c.s.nodes[0].type = NodeType::Standby;
    Step step = decide(c.s, c.m);
    EXPECT_EQ(step.next.state, State::UpstreamLost);
    EXPECT_TRUE(says(step, "upstream node 1 is not the primary")) << step.reason;
}

TEST(DaemonCrashReport, ReportOnAnotherTimelineIsIgnored) {
    StandbyCase c;
    c.s.crash_report->timeline = 2;
    Step step = decide(c.s, c.m);
    EXPECT_EQ(step.next.state, State::UpstreamLost);
    EXPECT_TRUE(says(step, "names timeline 2, but this standby last read timeline 1")) << step.reason;
}

TEST(DaemonCrashReport, WithoutAnyContactSinceStartTheReportIsIgnored) {
    StandbyCase c;
    c.m.upstream_last_contact.reset();
    Step step = decide(c.s, c.m);
    EXPECT_EQ(step.next.state, State::UpstreamLost);
}

TEST(DaemonCrashReport, HonouredReportKeepsTheElectionRules) {
    StandbyCase c;  // the report only confirms the failure: no quorum, no promotion
    c.s.failover->election.standbys[1].reachable = false;
    witness_unreachable(c.s);
    Step step = decide(c.s, c.m);
    EXPECT_EQ(step.next.state, State::Degraded);
    EXPECT_EQ(find(step, ActionKind::PromoteSelf), nullptr);
}

TEST(DaemonCrashReport, AnsweringUpstreamRecordsTheLastContact) {
    StandbyCase c;
    c.s.upstream = {true, false, {}};
    c.s.crash_report.reset();
    Step step = decide(c.s, c.m);
    EXPECT_EQ(step.next.upstream_last_contact, c.s.at);
}

TEST(DaemonCrashReport, PrimaryReportsACrashedPostmasterAtOnceWithoutGrace) {
    Snapshot s = primary_down(LocalPostmaster::Crashed, Clock::time_point{} + seconds(10));
    Step step = decide(s, primary_memory());
    const Action* a = find(step, ActionKind::ReportCrash);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->term.failed_primary_id, 1);
    EXPECT_EQ(a->term.timeline, 3);
    EXPECT_TRUE(a->on);  // primary_fencing=rejoin: the data directory is demoted first
    EXPECT_TRUE(step.next.crash_reported);
    Snapshot stop = s;
    stop.tuning.primary_fencing = Tuning::Fencing::Stop;  // the returning server is stopped instead
    const Action* b = find(decide(stop, primary_memory()), ActionKind::ReportCrash);
    ASSERT_NE(b, nullptr);
    EXPECT_FALSE(b->on);
    // Once only.
    Snapshot later = s;
    later.at += seconds(2);
    EXPECT_EQ(find(decide(later, step.next), ActionKind::ReportCrash), nullptr);
}

TEST(DaemonCrashReport, PrimaryWaitsForTheGraceAndNotAtAllIfTheServerComesBack) {
    Snapshot s = primary_down(LocalPostmaster::Crashed, Clock::time_point{} + seconds(10));
    s.tuning.primary_restart_grace = 5;
    Step first = decide(s, primary_memory());
    EXPECT_EQ(find(first, ActionKind::ReportCrash), nullptr);
    EXPECT_LE(first.wait, seconds(5));
    // Restarted within the grace: answering again, nothing reported.
    Snapshot back = s;
    back.at += seconds(3);
    back.local = {true, false, {}};
    back.local_postmaster = LocalPostmaster::Unknown;
    Step after = decide(back, first.next);
    EXPECT_EQ(find(after, ActionKind::ReportCrash), nullptr);
    EXPECT_FALSE(after.next.local_crashed_since);
    // Still gone when the grace ends: reported.
    Snapshot gone = s;
    gone.at += seconds(5);
    EXPECT_NE(find(decide(gone, first.next), ActionKind::ReportCrash), nullptr);
}

TEST(DaemonCrashReport, FrozenOrCleanlyStoppedPostmasterIsNeverReported) {
    for (LocalPostmaster pm :
         {LocalPostmaster::Running, LocalPostmaster::Stopped, LocalPostmaster::Unknown}) {
        Snapshot s = primary_down(pm, Clock::time_point{} + seconds(10));
        EXPECT_EQ(find(decide(s, primary_memory()), ActionKind::ReportCrash), nullptr);
    }
}

TEST(DaemonCrashReport, PrimaryWithoutAKnownTimelineDoesNotReport) {
    Snapshot s = primary_down(LocalPostmaster::Crashed, Clock::time_point{} + seconds(10));
    Memory m = primary_memory();
    m.own_timeline.reset();
    EXPECT_EQ(find(decide(s, m), ActionKind::ReportCrash), nullptr);
}

TEST(DaemonCrashReport, AReportTheArbiterDidNotTakeIsRetried) {
    Snapshot s = primary_down(LocalPostmaster::Crashed, Clock::time_point{} + seconds(10));
    Step first = decide(s, primary_memory());
    Snapshot next = s;
    next.at += seconds(2);
    next.outcomes = {ActionOutcome{ActionOutcome::Kind::CrashReport, false, 1, "unreachable"}};
    EXPECT_NE(find(decide(next, first.next), ActionKind::ReportCrash), nullptr);
}

TEST(DaemonCrashReport, AnEarlyWakeUpIsNotAReconnectAttempt) {
    StandbyCase c;
    c.s.crash_report.reset();  // nothing to believe: only the attempts count
    Step first = decide(c.s, c.m);
    EXPECT_EQ(first.next.upstream_failures, 1);
    Snapshot early = c.s;
    early.at += seconds(1);  // woken before reconnect_interval (5 s) passed
    Step second = decide(early, first.next);
    EXPECT_EQ(second.next.upstream_failures, 1);
    EXPECT_EQ(second.next.state, State::UpstreamLost);
    Snapshot due = c.s;
    due.at += seconds(5);
    EXPECT_EQ(decide(due, second.next).next.upstream_failures, 2);
}
