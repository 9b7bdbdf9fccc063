// The logger: line format, levels, and -t/--terse (no DETAIL/HINT lines).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "util/log.hpp"

namespace repmgr {
namespace {

// A log file in the temp directory, read back after the logger wrote it.
class LogFile {
public:
    LogFile()
        : path_((std::filesystem::temp_directory_path() /
                 ("repmgr-log-test-" + std::to_string(getpid()) + ".log"))
                    .string()) {
        std::filesystem::remove(path_);
    }
    ~LogFile() { std::filesystem::remove(path_); }
    const std::string& path() const { return path_; }
    std::string text() const {
        std::ifstream in(path_);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }

private:
    std::string path_;
};

void write_everything(Logger& log) {
    log.info("info line");
    log.notice("notice line");
    log.error("error line");
    log.detail("detail line");
    log.hint("hint line");
}

TEST(Logger, DetailAndHintFollowTheirMessage) {
    LogFile file;
    {
        Logger log;
        log.open_file(file.path());
        write_everything(log);
    }
    std::string text = file.text();
    EXPECT_EQ(text.find("info line"), std::string::npos) << "INFO is below the default NOTICE";
    EXPECT_NE(text.find("] [NOTICE] notice line\n"), std::string::npos) << text;
    EXPECT_NE(text.find("] [ERROR] error line\nDETAIL: detail line\n"), std::string::npos) << text;
    EXPECT_NE(text.find("] [HINT] hint line\n"), std::string::npos) << text;
}

TEST(Logger, TerseLeavesOutDetailAndHint) {
    LogFile file;
    {
        Logger log;
        log.open_file(file.path());
        log.set_terse(true);
        write_everything(log);
    }
    std::string text = file.text();
    EXPECT_NE(text.find("] [NOTICE] notice line\n"), std::string::npos) << text;
    EXPECT_NE(text.find("] [ERROR] error line\n"), std::string::npos) << text;
    EXPECT_EQ(text.find("detail line"), std::string::npos) << text;
    EXPECT_EQ(text.find("hint line"), std::string::npos) << text;
}

}  // namespace
}  // namespace repmgr
