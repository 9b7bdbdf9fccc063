// Placeholder expansion for event_notification_command and friends. Each
// case runs the expanded command through /bin/sh -c, as repmgr does, and
// checks the argument the command received is exactly the value: one word,
// nothing executed, whatever the quoting context of the template.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "notify/placeholders.hpp"
#include "util/process.hpp"

namespace repmgr {
namespace {

namespace fs = std::filesystem;

class PlaceholderShell : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/placeholders-test.XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string read(const std::string& name) {
        std::ifstream in(dir_ + "/" + name, std::ios::binary);
        std::stringstream buf;
        buf << in.rdbuf();
        return buf.str();
    }

    // Runs `prefix` + context through the shell with %d = value; returns the
    // argument count and first argument the shell function received.
    std::pair<std::string, std::string> run(const std::string& context, const std::string& value) {
        fs::remove(dir_ + "/count");
        fs::remove(dir_ + "/arg");
        std::string templ = "f() { printf %%s \"$#\" > " + dir_ + "/count; printf %%s \"$1\" > " +
                            dir_ + "/arg; }; f " + context;
        std::string command = expand_placeholders(templ, {{'d', value}});
        ProcessResult r = run_shell(command, true);
        EXPECT_EQ(r.exit_status, 0) << "command: " << command << "\noutput: " << r.output;
        return {read("count"), read("arg")};
    }

    std::string dir_;
};

std::vector<std::string> hostile_values(const std::string& dir) {
    std::string marker = dir + "/pwned";
    return {
        "plain",
        "",
        "two words",
        "it's",
        "'",
        "''",
        "\"",
        "\"double\"",
        "$(touch " + marker + ")",
        "`touch " + marker + "`",
        "; touch " + marker,
        "'; touch " + marker + "; '",
        "\"; touch " + marker + "; \"",
        "$HOME ${HOME} $1 $#",
        "line1\nline2\n",
        "back\\slash\\",
        "\\\"\\'",
        "* ? [a]",
        "a | touch " + marker + " & b",
        "> " + marker,
        "%d %n %%",
        "tab\there",
        "!event",
    };
}

struct Context {
    std::string templ;   // how the template writes the placeholder
    std::string before;  // literal text the shell adds around the value
    std::string after;
};

const Context kContexts[] = {
    {"%d", "", ""},
    {"'%d'", "", ""},
    {"\"%d\"", "", ""},
    {"\"pre %d post\"", "pre ", " post"},
    {"'pre %d post'", "pre ", " post"},
    {"--detail=%d", "--detail=", ""},
    {"x%dy", "x", "y"},
    {"\\'%d", "'", ""},
    {"\"it's %d\"", "it's ", ""},
    {"'say \"%d\"'", "say \"", "\""},
    {"\"a\\\"%d\"", "a\"", ""},
};

TEST_F(PlaceholderShell, EveryValueIsOneLiteralWordInEveryContext) {
    for (const auto& ctx : kContexts) {
        for (const auto& value : hostile_values(dir_)) {
            auto [count, arg] = run(ctx.templ, value);
            EXPECT_EQ(count, "1") << "template " << ctx.templ << " value [" << value << "]";
            EXPECT_EQ(arg, ctx.before + value + ctx.after)
                << "template " << ctx.templ << " value [" << value << "]";
        }
    }
    EXPECT_FALSE(fs::exists(dir_ + "/pwned")) << "a value was executed by the shell";
}

// Inside a command substitution the shell parses the text again: a value
// quoted only for the outer double quotes would run there.
TEST_F(PlaceholderShell, ValuesStayLiteralInsideCommandSubstitutions) {
    const std::string contexts[] = {
        "\"$(printf %%s %d)\"",
        "\"$(printf %%s \"%d\")\"",
        "\"$(printf %%s '%d')\"",
        "\"$(printf %%s \"$(printf %%s %d)\")\"",
        "\"$( (printf %%s %d) )\"",
        "\"`printf %%s %d`\"",
        "\"`printf %%s '%d'`\"",
    };
    for (const auto& ctx : contexts) {
        for (const auto& value : hostile_values(dir_)) {
            if (!value.empty() && value.back() == '\n') continue;  // $(...) strips it
            auto [count, arg] = run(ctx, value);
            EXPECT_EQ(count, "1") << "template " << ctx << " value [" << value << "]";
            EXPECT_EQ(arg, value) << "template " << ctx << " value [" << value << "]";
        }
    }
    EXPECT_FALSE(fs::exists(dir_ + "/pwned")) << "a value was executed by the shell";
}

TEST_F(PlaceholderShell, SeveralPlaceholdersStaySeparateWords) {
    std::string templ = "f() { printf '%%s|' \"$#\" \"$@\" > " + dir_ + "/out; }; f %n %e %s %t %d";
    std::string command = expand_placeholders(
        templ, {{'n', "2"}, {'e', "standby_register"}, {'s', "1"}, {'t', "2016-01-07 16:56:46"},
                {'d', "upstream is 'node1'; $(id)"}});
    ASSERT_EQ(run_shell(command, true).exit_status, 0) << command;
    EXPECT_EQ(read("out"), "5|2|standby_register|1|2016-01-07 16:56:46|upstream is 'node1'; $(id)|");
}

TEST(Placeholders, PercentPercentAndUnknownPlaceholders) {
    EXPECT_EQ(expand_placeholders("100%% %z %", {{'d', "x"}}), "100% %z %");
    EXPECT_EQ(expand_placeholders("no placeholders", {}), "no placeholders");
}

TEST(Placeholders, ValuesAreNotExpandedTwice) {
    // A value that itself looks like a placeholder stays literal.
    EXPECT_EQ(expand_placeholders("%a", {{'a', "%n"}, {'n', "7"}}), "'%n'");
}

TEST(Placeholders, BareValueIsSingleQuoted) {
    EXPECT_EQ(expand_placeholders("cmd %a", {{'a', "it's"}}), "cmd 'it'\\''s'");
}

}  // namespace
}  // namespace repmgr
