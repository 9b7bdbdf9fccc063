// Connection strings: parsed by libpq, rendered back safely, and always given
// a connect timeout before we connect.
#include <gtest/gtest.h>

#include <libpq-fe.h>

#include "config/conninfo.hpp"
#include "db/connection.hpp"
#include "util/error.hpp"

namespace repmgr {
namespace {

TEST(Conninfo, ParsesKeyValueForm) {
    Conninfo c = Conninfo::parse("host=node1 user=repmgr dbname=repmgr");
    EXPECT_EQ(c.get("host"), "node1");
    EXPECT_EQ(c.get("user"), "repmgr");
    EXPECT_EQ(c.get("dbname"), "repmgr");
    EXPECT_EQ(c.get("port"), std::nullopt);
    EXPECT_FALSE(c.has("port"));
}

TEST(Conninfo, ParsesUriForm) {
    Conninfo c = Conninfo::parse("postgresql://repmgr@127.0.0.1:5433/repmgr?connect_timeout=3");
    EXPECT_EQ(c.get("host"), "127.0.0.1");
    EXPECT_EQ(c.get("port"), "5433");
    EXPECT_EQ(c.get("user"), "repmgr");
    EXPECT_EQ(c.get("dbname"), "repmgr");
    EXPECT_EQ(c.get("connect_timeout"), "3");
}

TEST(Conninfo, QuotedValuesWithEscapes) {
    Conninfo c = Conninfo::parse("application_name='it\\'s a node' password='back\\\\slash'");
    EXPECT_EQ(c.get("application_name"), "it's a node");
    EXPECT_EQ(c.get("password"), "back\\slash");
}

TEST(Conninfo, InvalidStringsAreRejectedWithLibpqsMessage) {
    auto bad = Conninfo::validate("host=a nonsense=1");
    ASSERT_TRUE(bad.has_value());
    EXPECT_NE(bad->find("nonsense"), std::string::npos) << *bad;
    EXPECT_TRUE(Conninfo::validate("host='unterminated").has_value());
    EXPECT_FALSE(Conninfo::validate("host=a port=5432").has_value());
    try {
        Conninfo::parse("host=a nonsense=1");
        FAIL() << "expected a failure";
    } catch (const Failure& f) {
        EXPECT_EQ(f.code(), ExitCode::BadConfig);
        EXPECT_FALSE(f.detail().empty());
        EXPECT_FALSE(f.hint().empty());
    }
}

TEST(Conninfo, QuoteValue) {
    EXPECT_EQ(quote_conninfo_value("plain"), "plain");
    EXPECT_EQ(quote_conninfo_value(""), "''");
    EXPECT_EQ(quote_conninfo_value("two words"), "'two words'");
    EXPECT_EQ(quote_conninfo_value("it's"), "'it\\'s'");
    EXPECT_EQ(quote_conninfo_value("a\\b"), "'a\\\\b'");
}

TEST(Conninfo, ToStringRoundTripsAwkwardValues) {
    Conninfo c;
    c.set("host", "127.0.0.1");
    c.set("application_name", "node 'one'; DROP TABLE x; \\ end");
    c.set("options", "-c search_path=a,b");
    Conninfo back = Conninfo::parse(c.to_string());
    EXPECT_EQ(back.params(), c.params());
}

TEST(Conninfo, SetDefaultKeepsWhatTheUserWrote) {
    Conninfo c = Conninfo::parse("host=a connect_timeout=9");
    c.set_default("connect_timeout", "2");
    c.set_default("port", "5433");
    EXPECT_EQ(c.get("connect_timeout"), "9");
    EXPECT_EQ(c.get("port"), "5433");
    c.erase("port");
    EXPECT_FALSE(c.has("port"));
}

TEST(Conninfo, WithConnectTimeoutAddsOnlyWhenAbsent) {
    EXPECT_EQ(Conninfo::parse(with_connect_timeout("host=a", 4)).get("connect_timeout"), "4");
    EXPECT_EQ(Conninfo::parse(with_connect_timeout("host=a connect_timeout=11", 4))
                  .get("connect_timeout"),
              "11");
}

TEST(Conninfo, EveryConnectionHasTimeoutsAndKeepalives) {
    Conninfo c = Conninfo::parse(connect_conninfo("host=a dbname=b", 3));
    EXPECT_EQ(c.get("connect_timeout"), "3");
    EXPECT_EQ(c.get("tcp_user_timeout"), "3000");
    EXPECT_EQ(c.get("keepalives"), "1");
    EXPECT_TRUE(c.has("keepalives_idle"));
    EXPECT_EQ(c.get("host"), "a");
    EXPECT_EQ(c.get("dbname"), "b");
    // the user's own choices win
    Conninfo own = Conninfo::parse(connect_conninfo("host=a connect_timeout=2 keepalives=0", 3));
    EXPECT_EQ(own.get("connect_timeout"), "2");
    EXPECT_EQ(own.get("keepalives"), "0");
}

TEST(Conninfo, SessionSettingsForTheServerSide) {
    Conninfo c = Conninfo::parse(connect_conninfo("host=a", 3));
    EXPECT_EQ(c.get("options"),
              "-c synchronous_commit=local -c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 "
              "-c tcp_keepalives_count=2 -c tcp_user_timeout=3000");
    Conninfo with = Conninfo::parse(connect_conninfo("host=a options='-c work_mem=8MB'", 3));
    EXPECT_EQ(with.get("options")->rfind("-c work_mem=8MB -c synchronous_commit=local", 0), 0u);
    // the user's own choices win
    Conninfo own = Conninfo::parse(connect_conninfo(
        "host=a options='-c synchronous_commit=on -c tcp_keepalives_idle=60'", 3));
    auto opts = *own.get("options");
    EXPECT_NE(opts.find("synchronous_commit=on"), std::string::npos);
    EXPECT_EQ(opts.find("synchronous_commit=local"), std::string::npos);
    EXPECT_EQ(opts.find("tcp_keepalives_idle=5"), std::string::npos);
}

TEST(Conninfo, ClassifiesPasswordFailures) {
    EXPECT_EQ(classify_connection_error(
                  "FATAL:  password authentication failed for user \"repmgr\""),
              ExitCode::BadPassword);
    EXPECT_EQ(classify_connection_error("connection refused"), ExitCode::DbConnection);
}

}  // namespace
}  // namespace repmgr
