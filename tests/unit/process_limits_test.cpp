// A command gets a deadline and bounded output: a hung webhook or a chatty
// script can neither hold repmgrd nor grow its memory; at the deadline the
// whole process group ends, the shell's children included.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <string>

#include "util/process.hpp"

namespace repmgr {
namespace {

using Clock = std::chrono::steady_clock;

TEST(BoundedOutput, KeepsEverythingBelowTheLimit) {
    BoundedOutput out(8);
    out.append("abc", 3);
    out.append("defghijklm", 10);
    EXPECT_EQ(out.str(), "abcdefghijklm");
    EXPECT_EQ(out.dropped(), 0u);
}

TEST(BoundedOutput, KeepsFirstAndLastBytesAndSaysWhatWasDropped) {
    BoundedOutput out(4);
    std::string text = "HEAD" + std::string(100, 'x') + "TAIL";
    for (char c : text) out.append(&c, 1);
    EXPECT_EQ(out.dropped(), 100u);
    EXPECT_EQ(out.str(), "HEAD\n[... 100 bytes of output omitted ...]\nTAIL");
}

TEST(Process, CapturedOutputIsBounded) {
    // 1 MiB of output: kept are 64 KiB from the start and 64 KiB from the end
    ProcessResult r = run_shell("head -c 1048576 /dev/zero | tr '\\0' x; echo END", true, 30);
    EXPECT_EQ(r.exit_status, 0);
    EXPECT_FALSE(r.timed_out);
    EXPECT_LT(r.output.size(), 2 * kOutputKeep + 100);
    EXPECT_NE(r.output.find("bytes of output omitted"), std::string::npos);
    EXPECT_EQ(r.output.substr(r.output.size() - 4), "END\n");
}

TEST(Process, DeadlineEndsTheWholeProcessGroup) {
    // The shell's child (sleep) holds the pipe: without killing the group the
    // read would last 1000 s.
    auto start = Clock::now();
    ProcessResult r = run_shell("echo started; sleep 1000; echo never", true, 1);
    auto took = Clock::now() - start;
    EXPECT_TRUE(r.timed_out);
    EXPECT_EQ(r.exit_status, 128 + SIGTERM);
    EXPECT_EQ(r.output, "started\n");
    EXPECT_LT(took, std::chrono::seconds(10));
    EXPECT_NE(describe_exit(r).find("timeout"), std::string::npos);
}

TEST(Process, DeadlineWithoutCapture) {
    auto start = Clock::now();
    ProcessResult r = run_shell("sleep 1000", false, 1);
    EXPECT_TRUE(r.timed_out);
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
}

TEST(Process, TermIgnoredMeansKill) {
    ProcessResult r = run_shell("trap '' TERM; sleep 1000 & wait; sleep 1000", true, 1);
    EXPECT_TRUE(r.timed_out);
    EXPECT_EQ(r.exit_status, 128 + SIGKILL);
}

TEST(Process, FastCommandIsNotAffectedByItsDeadline) {
    ProcessResult r = run_shell("echo ok; exit 3", true, 30);
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_status, 3);
    EXPECT_EQ(r.output, "ok\n");
}

TEST(Process, ExtraEnvironmentReachesTheChildOnly) {
    RunOptions o;
    o.capture = true;
    o.env = {{"PGPASSWORD", "s3cret"}, {"PATH", "/usr/bin:/bin"}};
    ProcessResult r = run_process({"/bin/sh", "-c", "echo \"$PGPASSWORD $PATH\""}, o);
    EXPECT_EQ(r.output, "s3cret /usr/bin:/bin\n");
    EXPECT_EQ(getenv("PGPASSWORD"), nullptr);
}

}  // namespace
}  // namespace repmgr
