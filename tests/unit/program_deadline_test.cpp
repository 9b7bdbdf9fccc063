// The programs repmgr runs itself (pg_ctl, pg_basebackup, pg_rewind, rsync)
// have deadlines: pg_ctl's covers the wait it was told plus a margin, and a
// timeout fails with the action's exit code, naming the setting to raise.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pg/control.hpp"
#include "util/error.hpp"
#include "util/process.hpp"

namespace repmgr {
namespace {

TEST(PgCtlDeadline, IsTheWaitPlusTheMargin) {
    EXPECT_EQ(pg_ctl_deadline({"pg_ctl", "-D", "/d", "-w", "-t", "60", "-m", "fast", "stop"}, 30),
              90);
    EXPECT_EQ(pg_ctl_deadline({"pg_ctl", "-D", "/d", "reload"}, 30), 30);
}

TEST(PgCtlDeadline, RestartWaitsTwiceAndTheLastTimeoutWins) {
    EXPECT_EQ(pg_ctl_deadline({"pg_ctl", "-w", "-t", "60", "-m", "fast", "restart"}, 10), 130);
    // pg_ctl_options come after ours; pg_ctl takes the last one
    EXPECT_EQ(pg_ctl_deadline({"pg_ctl", "-w", "-t", "60", "--timeout=200", "start"}, 10), 210);
    EXPECT_EQ(pg_ctl_deadline({"pg_ctl", "-t", "nonsense", "start"}, 10), 10);
    EXPECT_EQ(pg_ctl_deadline({"pg_ctl", "-t", "2147483647", "restart"}, 10), 2147483647);
}

TEST(ProgramDeadline, TimeoutFailsWithTheActionsCodeAndNamesTheSetting) {
    ProcessResult r = run_process({"/bin/sh", "-c", "echo copying; sleep 1000"},
                                  RunOptions{.capture = true,
                                             .timeout_secs = 1,
                                             .timeout_setting = "pg_basebackup_timeout"});
    ASSERT_TRUE(r.timed_out);
    EXPECT_NE(describe_exit(r).find("pg_basebackup_timeout"), std::string::npos);
    try {
        fail_if_timed_out(r, ExitCode::BadBasebackup, "pg_basebackup", "the copy is removed");
        FAIL() << "no Failure thrown";
    } catch (const Failure& f) {
        EXPECT_EQ(f.code(), ExitCode::BadBasebackup);
        EXPECT_STREQ(f.what(),
                     "pg_basebackup did not finish within 1 seconds (pg_basebackup_timeout) and "
                     "was killed with its process group");
        EXPECT_EQ(f.detail(), "the copy is removed\nits output:\ncopying");
        EXPECT_NE(f.hint().find("raise pg_basebackup_timeout"), std::string::npos);
    }
}

TEST(ProgramDeadline, NoTimeoutNoFailure) {
    ProcessResult r = run_shell("exit 3", true, 30);
    EXPECT_NO_THROW(fail_if_timed_out(r, ExitCode::BadRsync, "rsync", ""));
}

}  // namespace
}  // namespace repmgr
