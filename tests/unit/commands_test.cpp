// The command line: an unknown group or verb is named, with the valid words.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "cli/commands.hpp"

namespace repmgr {
namespace {

struct Parsed {
    std::optional<int> exit_code;
    std::string stderr_text;
};

Parsed parse(std::vector<std::string> words) {
    words.insert(words.begin(), "repmgr");
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    Options opts;
    testing::internal::CaptureStderr();
    auto rc = parse_command_line(static_cast<int>(argv.size()), argv.data(), opts);
    return {rc, testing::internal::GetCapturedStderr()};
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// --version-number as repmgr 5 prints it: 5.3.3 -> 50303.
TEST(CommandLine, VersionAsNumber) {
    EXPECT_EQ(version_as_number("5.3.3"), 50303);
    EXPECT_EQ(version_as_number("0.1.0"), 100);
    EXPECT_EQ(version_as_number("4.10.2-dev"), 41002);
    EXPECT_EQ(version_as_number("6"), 60000);
}

TEST(CommandLine, UnknownVerbIsNamedWithTheValidOnes) {
    Parsed p = parse({"standby", "frobnicate"});
    EXPECT_EQ(p.exit_code, 1);
    EXPECT_TRUE(contains(p.stderr_text, "[ERROR] unknown standby command \"frobnicate\""))
        << p.stderr_text;
    EXPECT_TRUE(contains(p.stderr_text,
                         "valid standby commands: register, unregister, clone, promote, follow, "
                         "switchover"))
        << p.stderr_text;
    EXPECT_FALSE(contains(p.stderr_text, "A subcommand is required")) << p.stderr_text;
    // Also behind options, and through an alias of the group.
    p = parse({"-f", "/nonexistent.conf", "master", "frob"});
    EXPECT_EQ(p.exit_code, 1);
    EXPECT_TRUE(contains(p.stderr_text, "unknown primary command \"frob\"")) << p.stderr_text;
}

TEST(CommandLine, MissingVerbListsTheValidOnes) {
    Parsed p = parse({"cluster"});
    EXPECT_EQ(p.exit_code, 1);
    EXPECT_TRUE(contains(p.stderr_text, "a command is required after \"cluster\"")) << p.stderr_text;
    EXPECT_TRUE(contains(p.stderr_text, "valid cluster commands: show, event, cleanup"))
        << p.stderr_text;
}

TEST(CommandLine, UnknownGroupIsNamedWithTheValidOnes) {
    Parsed p = parse({"stanby", "clone"});
    EXPECT_EQ(p.exit_code, 1);
    EXPECT_TRUE(contains(p.stderr_text, "unknown command group \"stanby\"")) << p.stderr_text;
    EXPECT_TRUE(contains(p.stderr_text, "primary, standby, witness, node, daemon, cluster"))
        << p.stderr_text;
}

TEST(CommandLine, OtherUsageErrorsKeepCli11sWords) {
    Parsed p = parse({"standby", "clone", "--no-such-option"});
    EXPECT_EQ(p.exit_code, 1);
    EXPECT_TRUE(contains(p.stderr_text, "--no-such-option")) << p.stderr_text;
    p = parse({"standby", "clone"});
    EXPECT_EQ(p.exit_code, std::nullopt) << p.stderr_text;
}

}  // namespace
}  // namespace repmgr
