// Pure pieces of standby clone: backup label parsing, configuration rewriting,
// and what a failed clone removes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "pg/datadir.hpp"
#include "pg/rsync_clone.hpp"

namespace fs = std::filesystem;
using namespace repmgr;

namespace {

fs::path temp_dir() {
    fs::path p = fs::temp_directory_path() /
                 ("repmgr-clone-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                  "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

TEST(Clone, StartWalFileFromBackupLabel) {
    std::string label =
        "START WAL LOCATION: 0/4000028 (file 000000010000000000000004)\n"
        "CHECKPOINT LOCATION: 0/4000060\nBACKUP METHOD: streamed\nBACKUP FROM: primary\n";
    EXPECT_EQ(start_wal_file_of(label), "000000010000000000000004");
    EXPECT_EQ(start_wal_file_of("garbage\n"), "");
}

TEST(Clone, CommentOutSettingsKeepsOtherLines) {
    fs::path dir = temp_dir();
    fs::path conf = dir / "postgresql.conf";
    std::ofstream(conf) << "port = 5432\nhba_file = '/etc/pg/hba.conf'\n# hba_file = 'x'\n"
                           "data_directory='/var/lib/pg'\n";
    auto found = comment_out_settings(conf, {"hba_file", "data_directory"}, "why");
    EXPECT_EQ(found, (std::vector<std::string>{"hba_file", "data_directory"}));
    std::string text = slurp(conf);
    EXPECT_NE(text.find("port = 5432\n"), std::string::npos);
    EXPECT_NE(text.find("#hba_file = '/etc/pg/hba.conf'  # why\n"), std::string::npos);
    EXPECT_NE(text.find("#data_directory='/var/lib/pg'  # why\n"), std::string::npos);
    EXPECT_NE(text.find("# hba_file = 'x'\n"), std::string::npos);
    fs::remove_all(dir);
}

TEST(Clone, FailedCloneRemovesTheDirectoriesItCreated) {
    fs::path dir = temp_dir();
    Logger log;
    log.set_level(LogLevel::Error);
    {
        CloneTarget target((dir / "a" / "b" / "data").string(), log);
        target.prepare(false);
        std::ofstream(dir / "a" / "b" / "data" / "PG_VERSION") << "15\n";
    }
    EXPECT_FALSE(fs::exists(dir / "a"));
    EXPECT_TRUE(fs::exists(dir));
    fs::remove_all(dir);
}

TEST(Clone, FailedCloneEmptiesButKeepsAnExistingEmptyDirectory) {
    fs::path dir = temp_dir();
    Logger log;
    log.set_level(LogLevel::Error);
    {
        CloneTarget target(dir.string(), log);
        target.prepare(false);
        std::ofstream(dir / "PG_VERSION") << "15\n";
    }
    EXPECT_TRUE(fs::exists(dir));
    EXPECT_TRUE(fs::is_empty(dir));
    fs::remove_all(dir);
}

TEST(Clone, SuccessfulCloneKeepsEverything) {
    fs::path dir = temp_dir();
    Logger log;
    log.set_level(LogLevel::Error);
    {
        CloneTarget target((dir / "data").string(), log);
        target.prepare(false);
        std::ofstream(dir / "data" / "PG_VERSION") << "15\n";
        target.commit();
    }
    EXPECT_TRUE(fs::exists(dir / "data" / "PG_VERSION"));
    fs::remove_all(dir);
}

TEST(Clone, ResyncInPlaceIsNeverRemoved) {
    fs::path dir = temp_dir();
    std::ofstream(dir / "old_file") << "x\n";
    Logger log;
    log.set_level(LogLevel::Crit);
    {
        CloneTarget target(dir.string(), log);
        target.prepare(false);  // rsync -F: keep what is there
    }
    EXPECT_TRUE(fs::exists(dir / "old_file"));
    fs::remove_all(dir);
}
