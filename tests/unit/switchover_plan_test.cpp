// The switchover plan from fabricated facts: the steps in execution order,
// the ones that depend on the facts, and the "step i/n" spelling that both
// --dry-run and execute print.
#include <gtest/gtest.h>

#include <algorithm>

#include "actions/switchover_plan.hpp"

using namespace repmgr;

namespace {

SwitchoverFacts facts() {
    SwitchoverFacts f;
    f.self = {2, "node2"};
    f.old_primary = {1, "node1"};
    f.old_host = "db1";
    f.stop_command = "pg_ctl -D /data -m fast -w -t 60 stop";
    f.rejoin_command = "repmgr -f /etc/repmgr.conf node rejoin -d 'host=db2' --force-rewind";
    f.catchup_timeout = 30;
    return f;
}

std::vector<SwitchoverStep> kinds(const RolePlan<SwitchoverStep>& plan) {
    std::vector<SwitchoverStep> out;
    for (const auto& s : plan.steps) out.push_back(s.kind);
    return out;
}

}  // namespace

TEST(SwitchoverPlan, StepsInExecutionOrder) {
    SwitchoverFacts f = facts();
    f.pause_daemons = true;
    auto plan = plan_switchover(f);
    EXPECT_EQ(kinds(plan),
              (std::vector<SwitchoverStep>{SwitchoverStep::PauseDaemons, SwitchoverStep::StopPrimary,
                                           SwitchoverStep::WaitShutdownReplayed,
                                           SwitchoverStep::Promote,
                                           SwitchoverStep::RejoinOldPrimary,
                                           SwitchoverStep::RecordSwitchover}));
}

TEST(SwitchoverPlan, SentencesCarryTheCommandsThatRun) {
    auto plan = plan_switchover(facts());
    ASSERT_EQ(plan.steps.front().kind, SwitchoverStep::StopPrimary);  // no repmgrd table
    EXPECT_NE(plan.steps.front().sentence.find("stop the primary node 1 (\"node1\") on host "
                                               "\"db1\""),
              std::string::npos);
    EXPECT_NE(plan.steps.front().sentence.find("pg_ctl -D /data -m fast -w -t 60 stop"),
              std::string::npos);
    auto rejoin = std::find_if(plan.steps.begin(), plan.steps.end(), [](const auto& s) {
        return s.kind == SwitchoverStep::RejoinOldPrimary;
    });
    ASSERT_NE(rejoin, plan.steps.end());
    EXPECT_NE(rejoin->sentence.find("node rejoin -d 'host=db2' --force-rewind"), std::string::npos);
}

TEST(SwitchoverPlan, SiblingsFollowOnlyWhenAsked) {
    SwitchoverFacts f = facts();
    f.siblings = {{3, "node3"}, {4, "node4"}};
    auto left = plan_switchover(f);
    EXPECT_TRUE(left.has(SwitchoverStep::LeaveSiblings));
    EXPECT_FALSE(left.has(SwitchoverStep::FollowSiblings));

    f.siblings_follow = true;
    auto moved = plan_switchover(f);
    EXPECT_TRUE(moved.has(SwitchoverStep::FollowSiblings));
    EXPECT_FALSE(moved.has(SwitchoverStep::LeaveSiblings));
    const auto& sentence = moved.steps[moved.steps.size() - 2].sentence;
    EXPECT_NE(sentence.find("node 3 (\"node3\"), node 4 (\"node4\")"), std::string::npos);
    EXPECT_EQ(moved.steps.back().kind, SwitchoverStep::RecordSwitchover);

    f.siblings.clear();
    auto none = plan_switchover(f);
    EXPECT_FALSE(none.has(SwitchoverStep::FollowSiblings));
    EXPECT_FALSE(none.has(SwitchoverStep::LeaveSiblings));
}

TEST(RolePlan, LinesNumberTheSteps) {
    auto plan = plan_switchover(facts());
    auto lines = plan.lines();
    ASSERT_EQ(lines.size(), plan.steps.size());
    EXPECT_EQ(lines[0].rfind("step 1/5: stop the primary", 0), 0u) << lines[0];
    EXPECT_EQ(lines[4], "step 5/5: record the standby_switchover event");
}

TEST(SwitchoverPlan, Repmgr5Options) {
    SwitchoverFacts f = facts();
    f.pause_daemons = false;  // --repmgrd-no-pause
    f.force_unpause = true;
    f.always_promote = true;
    auto plan = plan_switchover(f);
    EXPECT_EQ(plan.steps.front().kind, SwitchoverStep::StopPrimary);
    EXPECT_EQ(plan.steps.back().kind, SwitchoverStep::UnpauseAllDaemons);
    auto wait = std::find_if(plan.steps.begin(), plan.steps.end(), [](const auto& s) {
        return s.kind == SwitchoverStep::WaitShutdownReplayed;
    });
    ASSERT_NE(wait, plan.steps.end());
    EXPECT_NE(wait->sentence.find("--always-promote"), std::string::npos);
}
