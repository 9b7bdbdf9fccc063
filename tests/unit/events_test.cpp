// event_notifications filtering and the log line format.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "notify/events.hpp"
#include "util/log.hpp"

namespace repmgr {
namespace {

TEST(EventFilter, EmptyListSelectsEverything) {
    EXPECT_TRUE(event_selected("", "master_register"));
    EXPECT_TRUE(event_selected("   ", "standby_register"));
}

TEST(EventFilter, OnlyListedEventsPass) {
    const std::string list = "master_register, standby_register ,standby_unregister";
    EXPECT_TRUE(event_selected(list, "master_register"));
    EXPECT_TRUE(event_selected(list, "standby_register"));
    EXPECT_TRUE(event_selected(list, "standby_unregister"));
    EXPECT_FALSE(event_selected(list, "standby_promote"));
    EXPECT_FALSE(event_selected(list, "standby"));          // no prefix matches
    EXPECT_FALSE(event_selected(list, "master_register2"));
    EXPECT_TRUE(event_selected("standby_promote", "standby_promote"));
    EXPECT_TRUE(event_selected("a,,standby_promote,", "standby_promote"));
}

TEST(LogLevels, ParseIsCaseInsensitive) {
    EXPECT_EQ(parse_log_level("debug"), LogLevel::Debug);
    EXPECT_EQ(parse_log_level("NOTICE"), LogLevel::Notice);
    EXPECT_EQ(parse_log_level("Crit"), LogLevel::Crit);
    EXPECT_EQ(parse_log_level("loud"), std::nullopt);
    EXPECT_EQ(log_level_name(LogLevel::Warning), "WARNING");
}

TEST(LogFormat, SeedLineFormatToFile) {
    char path[] = "/tmp/log-test.XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    {
        Logger log;
        log.open_file(path);
        log.set_level(LogLevel::Notice);
        log.info("hidden {}", 1);
        log.notice("master node correctly registered for cluster {} with id {}", "test", 1);
        log.warning("careful");
        log.detail("some detail");
        log.hint("some hint");
    }
    std::ifstream in(path);
    std::stringstream buf;
    buf << in.rdbuf();
    unlink(path);
    std::string text = buf.str();
    std::regex line(
        R"(\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\] \[NOTICE\] master node correctly registered for cluster test with id 1\n)"
        R"(\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\] \[WARNING\] careful\n)"
        R"(DETAIL: some detail\n\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\] \[HINT\] some hint\n)");
    EXPECT_TRUE(std::regex_match(text, line)) << text;
}

}  // namespace
}  // namespace repmgr
