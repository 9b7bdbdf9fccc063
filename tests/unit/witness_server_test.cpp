// witness create's postgresql.conf lines: listen_addresses quoted for the file
// whatever the host holds, no address from socket directories or empty hosts.
#include <gtest/gtest.h>

#include "config/conninfo.hpp"
#include "pg/witness_server.hpp"
#include "util/error.hpp"
#include "util/guc_value.hpp"

namespace repmgr {
namespace {

std::string settings(const std::string& conninfo) {
    return witness_server_settings(Conninfo::parse(conninfo));
}

TEST(WitnessServer, ListensOnTheConninfoHost) {
    EXPECT_EQ(settings("host=127.0.0.1 port=5433"), "port = 5433\nlisten_addresses = '127.0.0.1'\n");
    EXPECT_EQ(settings("host=witness"), "port = 5432\nlisten_addresses = 'witness'\n");
    EXPECT_EQ(settings("host=name hostaddr=10.0.0.5"), "port = 5432\nlisten_addresses = '10.0.0.5'\n");
    EXPECT_EQ(settings("host=/tmp,127.0.0.1 port=5433"),
              "port = 5433\nlisten_addresses = '127.0.0.1'\n");
}

TEST(WitnessServer, SocketsAndEmptyHostsLeaveTheDefault) {
    EXPECT_EQ(settings("host=/var/run/postgresql port=5433"), "port = 5433\n");
    EXPECT_EQ(settings("host='' port=5433"), "port = 5433\n");
    EXPECT_EQ(settings("host=, port=5433"), "port = 5433\n");
    EXPECT_EQ(settings("user=repmgr"), "port = 5432\n");
    Conninfo empty;
    empty.set("host", "");
    EXPECT_EQ(witness_server_settings(empty), "port = 5432\n");
}

TEST(WitnessServer, HostileHostStaysOneQuotedValue) {
    Conninfo c;
    c.set("host", "a' \\\nport = 1");
    std::string out = witness_server_settings(c);
    ASSERT_EQ(out.rfind("port = 5432\nlisten_addresses = ", 0), 0u) << out;
    std::string line = out.substr(out.find("listen_addresses"));
    EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line only: " << out;
    auto parsed = parse_guc_line(line.substr(0, line.size() - 1));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->value, "a' \\\nport = 1");
}

TEST(WitnessServer, RefusesAPortThatIsNotANumber) {
    for (const char* port : {"5432\nfsync=off", "0", "70000", "5432,5433", "-1", "99999999999"}) {
        Conninfo c;
        c.set("port", port);
        try {
            witness_server_settings(c);
            ADD_FAILURE() << "accepted port " << port;
        } catch (const Failure& f) {
            EXPECT_EQ(f.code(), ExitCode::BadConfig);
        }
    }
}

}  // namespace
}  // namespace repmgr
