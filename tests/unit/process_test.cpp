// Children start clean: whatever descriptors and signal settings this process
// has (repmgrd ignores SIGPIPE, holds sockets and connections), a command we
// run sees only 0, 1 and 2, default dispositions and an empty signal mask.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <set>
#include <sstream>

#include "util/process.hpp"

namespace repmgr {
namespace {

// The status line of /proc/self/status named `key` from a child's output.
std::string status_field(const std::string& output, const std::string& key) {
    std::istringstream in(output);
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(key + ":", 0) == 0) {
            auto v = line.substr(key.size() + 1);
            return v.substr(v.find_first_not_of(" \t"));
        }
    return "missing";
}

TEST(Process, ChildGetsNoInheritedDescriptorsAndDefaultSignals) {
    // what repmgrd does to itself, and a descriptor without close-on-exec
    struct sigaction ignore {}, old_pipe {}, old_usr2 {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    ASSERT_EQ(sigaction(SIGPIPE, &ignore, &old_pipe), 0);
    ASSERT_EQ(sigaction(SIGUSR2, &ignore, &old_usr2), 0);
    sigset_t block, old_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGTERM);
    ASSERT_EQ(sigprocmask(SIG_BLOCK, &block, &old_mask), 0);
    int leaked = open("/dev/null", O_RDONLY);
    ASSERT_GE(leaked, 0);
    int high = dup2(leaked, 57);
    ASSERT_EQ(high, 57);

    ProcessResult r = run_shell(
        "echo fds: $(ls /proc/self/fd); grep -E '^(SigIgn|SigBlk):' /proc/self/status", true);

    close(high);
    close(leaked);
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    sigaction(SIGPIPE, &old_pipe, nullptr);
    sigaction(SIGUSR2, &old_usr2, nullptr);

    ASSERT_EQ(r.exit_status, 0) << r.output;
    // `ls` itself holds one more descriptor, the directory it lists: 3.
    std::string fds = r.output.substr(r.output.find("fds:") + 4);
    fds = fds.substr(0, fds.find('\n'));
    std::istringstream words(fds);
    std::set<std::string> seen;
    for (std::string w; words >> w;) seen.insert(w);
    EXPECT_EQ(seen, (std::set<std::string>{"0", "1", "2", "3"})) << r.output;
    EXPECT_EQ(status_field(r.output, "SigIgn"), "0000000000000000") << r.output;
    EXPECT_EQ(status_field(r.output, "SigBlk"), "0000000000000000") << r.output;
}

TEST(Process, StdinIsDevNull) {
    ProcessResult r = run_shell("readlink /proc/self/fd/0", true);
    EXPECT_EQ(r.output, "/dev/null\n");
}

}  // namespace
}  // namespace repmgr

TEST(Process, ShownCommandQuotesOnlyWhatTheShellWouldReadDifferently) {
    EXPECT_EQ(repmgr::shown_command({"/usr/bin/pg_ctl", "-D", "/data/node 2", "-m", "fast", "-o", "", "it's"}),
              "/usr/bin/pg_ctl -D '/data/node 2' -m fast -o '' 'it'\\''s'");
    auto words = repmgr::split_words(repmgr::shown_command({"a b", "$(x)", "plain", "c'd"}));
    EXPECT_EQ(words, (std::vector<std::string>{"a b", "$(x)", "plain", "c'd"}));
}
