// A host from the metadata never reaches ssh or rsync as an option:
// host=-oProxyCommand=... (with a working hostaddr, so PostgreSQL connections
// still succeed) would otherwise run a command on this machine.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "pg/rsync_clone.hpp"
#include "pg/ssh.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace repmgr {
namespace {

template <typename F>
ExitCode code_of(F&& f) {
    try {
        f();
    } catch (const Failure& failure) {
        return failure.code();
    }
    return ExitCode::Success;
}

TEST(SshHost, RefusesHostsThatLookLikeOptions) {
    EXPECT_EQ(code_of([] { ssh_host_of("host=-oProxyCommand=touch\\ /tmp/x hostaddr=127.0.0.1"); }),
              ExitCode::BadSsh);
    EXPECT_EQ(code_of([] { ssh_host_of("host=/tmp hostaddr=-oProxyCommand=x"); }), ExitCode::BadSsh);
    EXPECT_EQ(code_of([] { ssh_host_of("host=-x,node2"); }), ExitCode::BadSsh);
    Logger log;
    EXPECT_EQ(code_of([&] { RemoteShell("-oProxyCommand=x", "", log); }), ExitCode::BadSsh);
    EXPECT_EQ(code_of([&] { RemoteShell("", "", log); }), ExitCode::BadSsh);
}

TEST(SshHost, AcceptsOrdinaryHosts) {
    EXPECT_EQ(ssh_host_of("host=node-1.example port=5432"), "node-1.example");
    EXPECT_EQ(ssh_host_of("host=node2,node3"), "node2");
    EXPECT_EQ(ssh_host_of("host=/var/run/postgresql"), "localhost");
    EXPECT_EQ(ssh_host_of("host=/tmp hostaddr=10.0.0.2"), "10.0.0.2");
}

TEST(SshHost, DoubleDashComesBeforeTheHost) {
    Logger log;
    RemoteShell shell("node2", "-o BatchMode=yes -p 2222", log);
    auto argv = shell.ssh_argv("true");
    auto dash = std::find(argv.begin(), argv.end(), "--");
    ASSERT_NE(dash, argv.end());
    EXPECT_EQ(*(dash + 1), "node2");
    EXPECT_EQ(argv.back(), "true");
    EXPECT_EQ(std::count(argv.begin(), dash, "-p"), 1);
}

// Refused before anything runs: with the old argv `ssh -oProxyCommand=touch
// <marker> true` ran the ProxyCommand (ssh does so before connecting).
TEST(SshHost, NeverRunsAProxyCommandFromTheHost) {
    char tmpl[] = "/tmp/ssh_host_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    std::string marker = std::string(tmpl) + "/pwned";
    RsyncSource source{.host = "-oProxyCommand=touch " + marker,
                       .data_directory = tmpl,
                       .ssh_options = "-o BatchMode=yes -o ConnectTimeout=2",
                       .rsync_options = ""};
    Logger log;
    log.set_level(LogLevel::Error);
    EXPECT_EQ(code_of([&] { RemoteShell(source.host, source.ssh_options, log).check_reachable(); }),
              ExitCode::BadSsh);
    EXPECT_EQ(code_of([&] { check_rsync_source(source, log); }), ExitCode::BadSsh);
    EXPECT_EQ(code_of([&] { copy_control_file(source, tmpl, log); }), ExitCode::BadSsh);
    EXPECT_FALSE(std::filesystem::exists(marker));
    std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace repmgr
