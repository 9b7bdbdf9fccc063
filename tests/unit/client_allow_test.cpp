#include <gtest/gtest.h>

#include "config/client_allow.hpp"
#include "config/config.hpp"
#include "util/error.hpp"

using repmgr::ClientAllowList;

namespace {

ClientAllowList parse_ok(const char* text) {
    std::string error;
    auto list = ClientAllowList::parse(text, error);
    EXPECT_TRUE(list) << text << ": " << error;
    return list ? *list : ClientAllowList{};
}

std::string parse_error(const char* text) {
    std::string error;
    EXPECT_FALSE(ClientAllowList::parse(text, error)) << text;
    return error;
}

}  // namespace

TEST(ClientAllowList, EmptyAllowsEveryone) {
    ClientAllowList all = parse_ok("");
    EXPECT_TRUE(all.allows_everyone());
    EXPECT_TRUE(all.allows("203.0.113.9"));
    EXPECT_TRUE(parse_ok("  ").allows_everyone());
}

TEST(ClientAllowList, SingleAddressesAndRanges) {
    ClientAllowList l = parse_ok("127.0.0.1, 10.0.0.0/8,192.168.4.0/22 , ::1, fd00::/8");
    EXPECT_FALSE(l.allows_everyone());
    EXPECT_TRUE(l.allows("127.0.0.1"));
    EXPECT_FALSE(l.allows("127.0.0.2"));
    EXPECT_TRUE(l.allows("10.255.1.2"));
    EXPECT_FALSE(l.allows("11.0.0.1"));
    EXPECT_TRUE(l.allows("192.168.7.255"));  // /22: 192.168.4.0 - 192.168.7.255
    EXPECT_FALSE(l.allows("192.168.8.0"));
    EXPECT_FALSE(l.allows("192.168.3.255"));
    EXPECT_TRUE(l.allows("::1"));
    EXPECT_FALSE(l.allows("::2"));
    EXPECT_TRUE(l.allows("fd12:3456::1"));
    EXPECT_FALSE(l.allows("fe80::1"));
}

TEST(ClientAllowList, IPv4MatchesItsMappedIPv6Form) {
    ClientAllowList l = parse_ok("10.0.0.0/8");
    EXPECT_TRUE(l.allows("::ffff:10.1.2.3"));
    EXPECT_FALSE(l.allows("::ffff:11.1.2.3"));
    EXPECT_FALSE(l.allows("::a01:203"));  // IPv4-compatible, not mapped: not the same host
}

TEST(ClientAllowList, PrefixEdges) {
    EXPECT_TRUE(parse_ok("0.0.0.0/0").allows("198.51.100.7"));
    EXPECT_FALSE(parse_ok("0.0.0.0/0").allows("2001:db8::1"));  // all IPv4, not IPv6
    EXPECT_TRUE(parse_ok("::/0").allows("2001:db8::1"));
    EXPECT_TRUE(parse_ok("10.1.2.3/32").allows("10.1.2.3"));
    EXPECT_FALSE(parse_ok("10.1.2.3/32").allows("10.1.2.4"));
    EXPECT_TRUE(parse_ok("10.1.2.3/31").allows("10.1.2.2"));
}

TEST(ClientAllowList, UnparsablePeerIsRefused) {
    ClientAllowList l = parse_ok("127.0.0.1");
    EXPECT_FALSE(l.allows(""));
    EXPECT_FALSE(l.allows("localhost"));
    EXPECT_FALSE(l.allows("127.0.0.1 "));
}

TEST(ClientAllowList, BadEntriesSayWhich) {
    EXPECT_NE(parse_error("127.0.0.1,,10.0.0.1").find("empty entry"), std::string::npos);
    EXPECT_NE(parse_error("127.0.0.1,").find("empty entry"), std::string::npos);
    EXPECT_NE(parse_error("db1.example.com").find("\"db1.example.com\" is not an IPv4 or IPv6"),
              std::string::npos);
    EXPECT_NE(parse_error("10.0.0.0/33").find("0..32"), std::string::npos);
    EXPECT_NE(parse_error("::/129").find("0..128"), std::string::npos);
    EXPECT_NE(parse_error("10.0.0.0/x").find("not a number"), std::string::npos);
    EXPECT_NE(parse_error("10.0.0.0/").find("not a number"), std::string::npos);
    EXPECT_NE(parse_error("10.0.0.0/-1").find("0..32"), std::string::npos);
    EXPECT_NE(parse_error("300.1.1.1").find("not an IPv4"), std::string::npos);
}

// The settings in repmgr.conf: errors with file:line, as for every setting.
namespace {

constexpr const char* kNode =
    "cluster=test\nnode=1\nnode_name=node1\nconninfo='host=127.0.0.1 dbname=repmgr'\n";

std::string config_error(const std::string& text) {
    try {
        repmgr::parse_config(text, "/etc/repmgr.conf");
    } catch (const repmgr::Failure& f) {
        return f.detail();
    }
    ADD_FAILURE() << "expected a configuration error for:\n" << text;
    return {};
}

}  // namespace

TEST(HttpSettings, ParsedIntoTheConfig) {
    auto loaded = repmgr::parse_config(
        std::string(kNode) + "http_tls_cert='/etc/c.pem'\nhttp_tls_key='/etc/k.pem'\n"
                             "http_allowed_clients='127.0.0.1, 10.0.0.0/8'\n",
        "/etc/repmgr.conf");
    EXPECT_EQ(loaded.config.http_tls_cert, "/etc/c.pem");
    EXPECT_EQ(loaded.config.http_tls_key, "/etc/k.pem");
    EXPECT_EQ(loaded.config.http_allowed_clients, "127.0.0.1, 10.0.0.0/8");
}

TEST(HttpSettings, BadAllowListNamesFileAndLine) {
    std::string e = config_error(std::string(kNode) + "http_allowed_clients='10.0.0.0/40'\n");
    EXPECT_NE(e.find("/etc/repmgr.conf:5: \"http_allowed_clients\" has a bad entry: "
                     "\"10.0.0.0/40\": the prefix length must be 0..32"),
              std::string::npos)
        << e;
}

TEST(HttpSettings, TlsCertAndKeyBothOrNeither) {
    std::string e = config_error(std::string(kNode) + "http_tls_cert='/etc/c.pem'\n");
    EXPECT_NE(e.find("/etc/repmgr.conf:5: \"http_tls_cert\" is set but \"http_tls_key\" is not"),
              std::string::npos)
        << e;
    e = config_error(std::string(kNode) + "\nhttp_tls_key='/etc/k.pem'\n");
    EXPECT_NE(e.find("/etc/repmgr.conf:6: \"http_tls_key\" is set but \"http_tls_cert\" is not"),
              std::string::npos)
        << e;
}
