// Secrets stay off command lines, and a repmgr.conf that someone else could
// have changed is refused (it holds commands repmgr runs).
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "config/config.hpp"
#include "config/conninfo.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace repmgr {
namespace {

TEST(SplitPassword, RemovesThePasswordAndKeepsTheRest) {
    SplitConninfo s = split_password("host=a port=5 user=u password='p w\\'x' dbname=d");
    ASSERT_TRUE(s.password);
    EXPECT_EQ(*s.password, "p w'x");
    EXPECT_EQ(s.conninfo.find("password"), std::string::npos) << s.conninfo;
    Conninfo c = Conninfo::parse(s.conninfo);
    EXPECT_EQ(c.get("host"), "a");
    EXPECT_EQ(c.get("user"), "u");
    EXPECT_EQ(c.get("dbname"), "d");
}

TEST(SplitPassword, UriFormToo) {
    SplitConninfo s = split_password("postgresql://u:s3cret@h:5432/db");
    ASSERT_TRUE(s.password);
    EXPECT_EQ(*s.password, "s3cret");
    EXPECT_EQ(s.conninfo.find("s3cret"), std::string::npos) << s.conninfo;
}

TEST(SplitPassword, NoPasswordLeavesTheTextAlone) {
    SplitConninfo s = split_password("host=a user=u");
    EXPECT_FALSE(s.password);
    EXPECT_EQ(s.conninfo, "host=a user=u");
}

TEST(WithOwnPassword, AddsThisNodesPasswordForTheSameUserOnly) {
    const std::string own = "host=me user=repmgr password=pw dbname=repmgr";
    EXPECT_EQ(Conninfo::parse(with_own_password("host=other user=repmgr", own)).get("password"),
              "pw");
    EXPECT_FALSE(Conninfo::parse(with_own_password("host=other user=bob", own)).get("password"));
    EXPECT_EQ(
        Conninfo::parse(with_own_password("host=o user=repmgr password=x", own)).get("password"),
        "x");
    EXPECT_EQ(with_own_password("", own), "");
}

TEST(OwnPassword, APassfileTravelsLikeAPassword) {
    const std::string own = "host=me user=repmgr passfile=/etc/repmgr/pgpass";
    Conninfo c = Conninfo::parse(with_own_password("host=other user=repmgr", own));
    EXPECT_EQ(c.get("passfile"), "/etc/repmgr/pgpass");
    EXPECT_FALSE(c.get("password"));
    // the caller's own choice wins: a password or a passfile of its own
    EXPECT_FALSE(Conninfo::parse(with_own_password("host=o user=repmgr password=x", own))
                     .get("passfile"));
    EXPECT_EQ(Conninfo::parse(with_own_password("host=o user=repmgr passfile=/p", own))
                  .get("passfile"),
              "/p");
    EXPECT_FALSE(Conninfo::parse(with_own_password("host=o user=bob", own)).get("passfile"));
}

TEST(Passfile, OneLibpqWouldIgnoreIsWarnedAbout) {
    char path[] = "/tmp/repmgr-passfile-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    const std::string conninfo = std::string("host=h user=repmgr passfile=") + path;
    chmod(path, 0600);
    EXPECT_FALSE(passfile_warning(conninfo));
    chmod(path, 0640);
    auto w = passfile_warning(conninfo);
    ASSERT_TRUE(w);
    EXPECT_NE(w->find("group or world access (mode 0640)"), std::string::npos) << *w;
    EXPECT_NE(w->find("chmod 0600"), std::string::npos) << *w;
    unlink(path);
    EXPECT_FALSE(passfile_warning(conninfo));  // a missing one: libpq says nothing either
    EXPECT_FALSE(passfile_warning("host=h user=repmgr"));
    EXPECT_TRUE(passfile_warning("host=h passfile=/tmp"));  // not a plain file
}

TEST(Passfile, LibpqsDefaultsAreCheckedWhenTheConninfoNamesNone) {
    char dir[] = "/tmp/repmgr-home-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    std::string pgpass = std::string(dir) + "/.pgpass";
    std::string other = std::string(dir) + "/other.pgpass";
    for (const auto& f : {pgpass, other}) {
        int fd = open(f.c_str(), O_CREAT | O_WRONLY, 0644);
        ASSERT_GE(fd, 0);
        close(fd);
        chmod(f.c_str(), 0644);
    }
    const char* old_home = std::getenv("HOME");
    std::string saved_home = old_home ? old_home : "";
    setenv("HOME", dir, 1);
    unsetenv("PGPASSFILE");
    auto w = passfile_warning("host=h user=repmgr");
    ASSERT_TRUE(w);
    EXPECT_NE(w->find(pgpass + "\" (libpq's default, ~/.pgpass) has group or world access"),
              std::string::npos)
        << *w;
    // A password in the conninfo: libpq reads no passfile.
    EXPECT_FALSE(passfile_warning("host=h user=repmgr password=x"));
    setenv("PGPASSFILE", other.c_str(), 1);
    w = passfile_warning("host=h user=repmgr");
    ASSERT_TRUE(w);
    EXPECT_NE(w->find("named by PGPASSFILE"), std::string::npos) << *w;
    chmod(other.c_str(), 0600);
    EXPECT_FALSE(passfile_warning("host=h user=repmgr"));
    unsetenv("PGPASSFILE");
    if (old_home) setenv("HOME", saved_home.c_str(), 1); else unsetenv("HOME");
    unlink(pgpass.c_str());
    unlink(other.c_str());
    rmdir(dir);
}

TEST(ConfigTrust, WritableByGroupOrOthersOrForeignOwnerIsRefused) {
    EXPECT_FALSE(config_trust_problem("/f", 0100600, 1000, 1000));
    EXPECT_FALSE(config_trust_problem("/f", 0100644, 1000, 1000));
    EXPECT_FALSE(config_trust_problem("/f", 0100644, 0, 1000));  // root may own it
    auto g = config_trust_problem("/f", 0100664, 1000, 1000);
    ASSERT_TRUE(g);
    EXPECT_NE(g->message.find("writable by its group (mode 0664)"), std::string::npos);
    EXPECT_NE(g->hint.find("chmod go-w \"/f\""), std::string::npos);
    auto o = config_trust_problem("/f", 0100606, 1000, 1000);
    ASSERT_TRUE(o);
    EXPECT_NE(o->message.find("writable by others"), std::string::npos);
    auto owner = config_trust_problem("/f", 0100600, 1001, 1000);
    ASSERT_TRUE(owner);
    EXPECT_NE(owner->message.find("owned by another user"), std::string::npos);
    EXPECT_NE(owner->hint.find("chown 1000"), std::string::npos);
}

std::string temp_conf(mode_t mode) {
    char path[] = "/tmp/repmgr-trust-test.XXXXXX";
    int fd = mkstemp(path);
    EXPECT_GE(fd, 0);
    const std::string text = "node=1\nnode_name=a\n";
    EXPECT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    close(fd);
    chmod(path, mode);
    return path;
}

TEST(ConfigTrust, LoadRefuses0666AndAccepts0600) {
    std::string bad = temp_conf(0666);
    try {
        load_config_file(bad);
        ADD_FAILURE() << "a 0666 repmgr.conf was accepted";
    } catch (const Failure& f) {
        EXPECT_EQ(f.code(), ExitCode::BadConfig);
        EXPECT_NE(std::string(f.what()).find(bad), std::string::npos) << f.what();
    }
    std::remove(bad.c_str());
    std::string good = temp_conf(0600);
    EXPECT_EQ(load_config_file(good).config.node_id, 1);
    std::remove(good.c_str());
}

TEST(LogFile, CreatedOwnerOnly) {
    mode_t old = umask(0);  // whatever the umask, the log is not readable by others
    std::string path = "/tmp/repmgr-log-mode-test." + std::to_string(getpid());
    std::remove(path.c_str());
    {
        Logger log;
        log.open_file(path);
        log.notice("hello");
    }
    umask(old);
    struct stat st {};
    ASSERT_EQ(stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    std::remove(path.c_str());
}

}  // namespace
}  // namespace repmgr
