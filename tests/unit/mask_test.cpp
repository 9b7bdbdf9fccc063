// Password masking (util/mask: mask_passwords) and the conninfo and
// config findings of the fuzz targets in tests/fuzz, one test each.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "config/config.hpp"
#include "config/conninfo.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/mask.hpp"

namespace repmgr {
namespace {

TEST(MaskPasswords, KeyValueConninfo) {
    EXPECT_EQ(mask_passwords("host=a password=s3cret user=u"), "host=a password=******** user=u");
    EXPECT_EQ(mask_passwords("host=a password='it\\'s secret' user=u"),
              "host=a password='********' user=u");
    EXPECT_EQ(mask_passwords("host=a password = spaced sslpassword=k"),
              "host=a password = ******** sslpassword=********");
    EXPECT_EQ(mask_passwords("host=a user=u"), "host=a user=u");
}

TEST(MaskPasswords, UriConninfo) {
    EXPECT_EQ(mask_passwords("postgresql://repmgr:s3cret@node1:5432/db?sslmode=disable"),
              "postgresql://repmgr:********@node1:5432/db?sslmode=disable");
    EXPECT_EQ(mask_passwords("postgres://u@h/db?password=x%26y&application_name=a"),
              "postgres://u@h/db?password=********&application_name=a");
    // libpq decodes keys too: "pass%77ord" is "password".
    EXPECT_EQ(mask_passwords("postgres://h/db?pass%77ord=x"), "postgres://h/db?pass%77ord=********");
    EXPECT_EQ(mask_passwords("postgresql://u@h/db"), "postgresql://u@h/db");
}

TEST(MaskPasswords, FreeTextMessages) {
    EXPECT_EQ(mask_passwords("unable to connect to \"host=a password=secret\""),
              "unable to connect to \"host=a password=********\"");
    EXPECT_EQ(mask_passwords("registered: conninfo=host=a password='x y' priority=100"),
              "registered: conninfo=host=a password='********' priority=100");
    EXPECT_EQ(mask_passwords("PGPASSWORD=topsecret psql 'postgresql://x:y@z/db'"),
              "PGPASSWORD=******** psql 'postgresql://x:********@z/db'");
    EXPECT_EQ(mask_passwords("nothing to hide here"), "nothing to hide here");
    EXPECT_EQ(mask_passwords("the passwords table"), "the passwords table");
}

TEST(MaskPasswords, NestedConninfoInDbname) {
    std::string masked = mask_passwords("dbname='host=b password=inner' user=u");
    EXPECT_EQ(masked.find("inner"), std::string::npos) << masked;
    EXPECT_EQ(Conninfo::parse(masked).get("user"), "u");
}

TEST(MaskPasswords, ContainsPassword) {
    EXPECT_TRUE(contains_password("host=a password=x"));
    EXPECT_TRUE(contains_password("postgresql://u:p@h/db"));
    EXPECT_FALSE(contains_password("host=a user=u"));
    EXPECT_FALSE(contains_password("host=a password=********"));
}

// Fuzz finding (fuzz_conninfo): a second pass read "password=" at the end as
// an empty password of a now valid conninfo and masked it; the first had not.
TEST(MaskPasswords, IdempotentOnTrailingEmptyPassword) {
    std::string text("password=(/\xbb\0 3dbname=\tpassword=", 30);
    std::string once = mask_passwords(text);
    EXPECT_EQ(mask_passwords(once), once);
    EXPECT_EQ(once.find("(/"), std::string::npos);
}

// Fuzz finding (fuzz_conninfo): a masked quoted value that touched the next
// key was written back bare, gluing the two together.
TEST(MaskPasswords, QuotedValueTouchingNextKeyStaysQuoted) {
    std::string text = "dbname='hostbpassword=inned=inr'user=u";
    std::string masked = mask_passwords(text);
    ASSERT_FALSE(Conninfo::validate(masked)) << masked;
    EXPECT_EQ(Conninfo::parse(masked).get("user"), "u");
    EXPECT_EQ(mask_passwords(masked), masked);
}

// Fuzz finding (fuzz_conninfo): nested conninfo values were re-quoted at
// every level, doubling the backslashes each time: 1 kB became 58 MB.
TEST(MaskPasswords, NestedValuesDoNotBlowUp) {
    std::string text = "password=x";
    for (int level = 0; level < 20; ++level) text = "dbname=" + quote_conninfo_value(text) + " host=h";
    std::string masked = mask_passwords(text);
    EXPECT_LE(masked.size(), 16 * text.size() + 64);
    EXPECT_EQ(mask_passwords(masked), masked);
    for (int level = 0; level < 20; ++level) {
        std::string bare = "dbname=" + std::string(level, '=') + "'host=a";
        text = bare + " " + text;
    }
    EXPECT_LE(mask_passwords(text).size(), 16 * text.size() + 64);
}

// Fuzz finding (fuzz_http): libpq reads "postgresql://h password=x" as a
// valid URI whose host is "h password=x", so the URI path alone left the
// password of a status reason that began with a URI in the answer. A URI
// with whitespace is masked as free text (fuzz_conninfo then found free-text
// masking of the whole URI eating its port: only such URIs take that path).
TEST(MaskPasswords, PasswordAfterASpaceInAUri) {
    for (std::string text : {"postgresql://h password=s3cret", "postgres://h/db password=s3cret",
                             "postgresql://u:p@h/db?sslmode=disable x password=s3cret"}) {
        std::string masked = mask_passwords(text);
        EXPECT_EQ(masked.find("s3cret"), std::string::npos) << masked;
        EXPECT_EQ(mask_passwords(masked), masked);
    }
}

// Fuzz finding (fuzz_conninfo): to_string left values with \v, \f or \r bare,
// and libpq splits bare values at every isspace() character.
TEST(ConninfoFuzzFindings, AllWhitespaceIsQuoted) {
    for (std::string ws : {"\v", "\f", "\r"}) {
        Conninfo c;
        c.set("host", "a" + ws + ".b");
        std::string text = c.to_string();
        ASSERT_FALSE(Conninfo::validate(text)) << text;
        EXPECT_EQ(Conninfo::parse(text).get("host"), "a" + ws + ".b");
    }
}

// Hostile input: a NUL byte would cut a value short where it is used as a C
// string (libpq, argv); the parser refuses it.
TEST(ConfigHostileInput, NulByteIsAnError) {
    std::string text("node_name=a\0b\n", 14);
    try {
        parse_config(text, "/x/repmgr.conf");
        FAIL() << "expected a failure";
    } catch (const Failure& f) {
        EXPECT_EQ(f.code(), ExitCode::BadConfig);
        EXPECT_NE(f.detail().find("/x/repmgr.conf:1: contains a NUL byte"), std::string::npos)
            << f.detail();
    }
}

std::string temp_file(const std::string& text, mode_t mode) {
    char path[] = "/tmp/repmgr-mask-test.XXXXXX";
    int fd = mkstemp(path);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    close(fd);
    chmod(path, mode);
    return path;
}

TEST(ConfigPermissions, PasswordInFileReadableByOthers) {
    const std::string with_password = "node=1\nconninfo='host=a password=s3cret'\n";
    const std::string in_command = "node=1\npromote_command='PGPASSWORD=x repmgr standby promote'\n";
    const std::string without = "node=1\nconninfo='host=a user=u'\n";
    struct Case {
        std::string text;
        mode_t mode;
        bool warned;
    } cases[] = {{with_password, 0644, true}, {with_password, 0640, true},
                 {with_password, 0600, false}, {in_command, 0604, true},
                 {without, 0644, false}};
    for (const auto& c : cases) {
        std::string path = temp_file(c.text, c.mode);
        EXPECT_EQ(load_config_file(path).password_readable_by_others, c.warned)
            << c.text << " mode " << std::oct << c.mode;
        std::remove(path.c_str());
    }
}

TEST(LoggerMasking, EveryLineIsMasked) {
    std::string path = temp_file("", 0600);
    {
        Logger log;
        log.open_file(path);
        log.notice("unable to connect to \"{}\"", "host=a password=s3cret");
        log.detail("postgresql://u:s3cret@h/db");
        log.hint("PGPASSWORD=s3cret psql");
    }
    std::ifstream in(path);
    std::stringstream buf;
    buf << in.rdbuf();
    EXPECT_EQ(buf.str().find("s3cret"), std::string::npos) << buf.str();
    EXPECT_NE(buf.str().find("password=********"), std::string::npos) << buf.str();
    std::remove(path.c_str());
}

}  // namespace
}  // namespace repmgr
