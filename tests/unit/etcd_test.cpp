// The etcd arbiter's settings and the pure parts of its client: endpoint
// lists, base64, prefix ranges, transaction bodies as the v3 JSON gateway
// takes them, and its answers (samples from etcd 3.4).
#include <gtest/gtest.h>

#include <string>

#include "config/config.hpp"
#include "config/etcd_settings.hpp"
#include "db/etcd.hpp"
#include "util/error.hpp"

namespace repmgr {
namespace {

constexpr const char* kEtcd =
    "cluster=test\nnode=1\nnode_name=node1\nconninfo='host=127.0.0.1 dbname=repmgr'\n"
    "arbiter=etcd\n";

std::string failure_detail(const std::string& text) {
    try {
        parse_config(text, "/etc/repmgr.conf");
    } catch (const Failure& f) {
        return f.detail();
    }
    ADD_FAILURE() << "expected a configuration error for:\n" << text;
    return {};
}

TEST(EtcdSettings, EndpointsParse) {
    std::string why;
    auto e = parse_etcd_endpoints(" http://127.0.0.1:2379, https://etcd-b:23790/ ,http://[::1]:2379",
                                  why);
    ASSERT_TRUE(e) << why;
    ASSERT_EQ(e->size(), 3u);
    EXPECT_EQ((*e)[0].url(), "http://127.0.0.1:2379");
    EXPECT_TRUE((*e)[1].tls);
    EXPECT_EQ((*e)[1].url(), "https://etcd-b:23790");
    EXPECT_EQ((*e)[2].host, "::1");
    EXPECT_EQ((*e)[2].url(), "http://[::1]:2379");
    auto bare = parse_etcd_endpoints("http://etcd", why);
    ASSERT_TRUE(bare);
    EXPECT_EQ(bare->front().port, 2379);
}

TEST(EtcdSettings, BadEndpointsSayWhy) {
    std::string why;
    EXPECT_FALSE(parse_etcd_endpoints("127.0.0.1:2379", why));
    EXPECT_NE(why.find("no http:// or https:// scheme"), std::string::npos);
    EXPECT_FALSE(parse_etcd_endpoints("http://a:2379/v3", why));
    EXPECT_NE(why.find("no path"), std::string::npos);
    EXPECT_FALSE(parse_etcd_endpoints("http://a:99999", why));
    EXPECT_NE(why.find("bad port"), std::string::npos);
    EXPECT_FALSE(parse_etcd_endpoints("http://-oProxyCommand=x:1", why));
    EXPECT_FALSE(parse_etcd_endpoints(" , ", why));
    EXPECT_EQ(why, "no endpoint given");
}

TEST(EtcdSettings, ArbiterEtcdNeedsEndpointsAndALongEnoughLease) {
    std::string d = failure_detail(kEtcd);
    EXPECT_NE(d.find("/etc/repmgr.conf:5: arbiter=etcd needs \"etcd_endpoints\""),
              std::string::npos)
        << d;
    d = failure_detail(std::string(kEtcd) + "etcd_endpoints=http://127.0.0.1:2379\netcd_ttl=6\n");
    EXPECT_NE(d.find("/etc/repmgr.conf:7: \"etcd_ttl\" (6 s) is too short"), std::string::npos)
        << d;
    EXPECT_NE(d.find("at least 7"), std::string::npos) << d;
    d = failure_detail(std::string(kEtcd) +
                       "etcd_endpoints=http://127.0.0.1:2379\netcd_cert=/c.pem\netcd_user=u\n");
    EXPECT_NE(d.find(":7: \"etcd_cert\" is set but \"etcd_key\" is not"), std::string::npos) << d;
    EXPECT_NE(d.find(":8: \"etcd_user\" is set but \"etcd_password\" is not"), std::string::npos)
        << d;
    d = failure_detail(std::string(kEtcd) + "etcd_endpoints='http://a:1,b:2'\netcd_prefix=x/\n");
    EXPECT_NE(d.find(":6: \"etcd_endpoints\" has a bad entry: \"b:2\""), std::string::npos) << d;
    EXPECT_NE(d.find(":7: \"etcd_prefix\" must start with '/'"), std::string::npos) << d;

    LoadedConfig ok = parse_config(std::string(kEtcd) + "etcd_endpoints=http://127.0.0.1:2379\n",
                                   "/etc/repmgr.conf");
    EXPECT_EQ(ok.config.etcd_ttl, 10);
    EXPECT_EQ(etcd_prefix(ok.config), "/repmgr/test/");
    ok.config.etcd_prefix = "/x";
    EXPECT_EQ(etcd_prefix(ok.config), "/x/");
}

TEST(EtcdSettings, FailsafeNeedsTwoSecondsMoreLease) {
    std::string base = std::string(kEtcd) + "etcd_endpoints=http://127.0.0.1:2379\n";
    std::string d = failure_detail(base + "etcd_failsafe=on\netcd_ttl=8\n");
    EXPECT_NE(d.find("/etc/repmgr.conf:8: \"etcd_ttl\" (8 s) is too short for etcd_failsafe"),
              std::string::npos)
        << d;
    EXPECT_NE(d.find("at least 9"), std::string::npos) << d;
    LoadedConfig ok = parse_config(base + "etcd_failsafe=on\n", "/etc/repmgr.conf");
    EXPECT_TRUE(ok.config.etcd_failsafe);
    EXPECT_TRUE(ok.warnings.empty());
}

TEST(EtcdSettings, EtcdSettingsWithTheWitnessAreIgnoredWithAWarning) {
    LoadedConfig c = parse_config(
        "cluster=test\nnode=1\nnode_name=node1\nconninfo='host=127.0.0.1 dbname=repmgr'\n"
        "etcd_endpoints=http://127.0.0.1:2379\n",
        "/etc/repmgr.conf");
    EXPECT_EQ(c.config.arbiter, "witness");
    ASSERT_EQ(c.warnings.size(), 1u);
    EXPECT_EQ(c.warnings[0],
              "/etc/repmgr.conf:5: \"etcd_endpoints\" is ignored: arbiter is \"witness\", not "
              "\"etcd\"");
}

TEST(EtcdClient, Base64RoundTripsAnyBytes) {
    EXPECT_EQ(etcd_base64("/r/leader"), "L3IvbGVhZGVy");
    EXPECT_EQ(etcd_base64("1"), "MQ==");
    EXPECT_EQ(etcd_base64(""), "");
    for (std::string raw : {std::string("a"), std::string("ab"), std::string("abc"),
                            std::string("\0\xff\x01", 3), std::string("{\"holder\":2}")})
        EXPECT_EQ(etcd_unbase64(etcd_base64(raw)), raw);
    EXPECT_THROW(etcd_unbase64("abc"), EtcdError);
}

TEST(EtcdClient, PrefixRangeEndsAfterEveryKeyOfThePrefix) {
    EXPECT_EQ(etcd_range_end("/repmgr/test/"), "/repmgr/test0");
    EXPECT_EQ(etcd_range_end(std::string("a\xff", 2)), "b");
    EXPECT_EQ(etcd_range_end(""), std::string(1, '\0'));
}

TEST(EtcdClient, TransactionBodyIsWhatTheGatewayTakes) {
    auto body = etcd_txn_body({EtcdCompare::absent("/k"), EtcdCompare::value_is("/l", "2")},
                              {EtcdOp::put("/k", "v", 7), EtcdOp::remove("/l")},
                              {EtcdOp::range("/p/", true)});
    EXPECT_EQ(body["compare"][0],
              (nlohmann::json{{"key", "L2s="}, {"result", "EQUAL"}, {"target", "CREATE"},
                              {"create_revision", "0"}}));
    EXPECT_EQ(body["compare"][1]["target"], "VALUE");
    EXPECT_EQ(body["compare"][1]["value"], "Mg==");
    EXPECT_EQ(body["success"][0],
              (nlohmann::json{{"request_put", {{"key", "L2s="}, {"value", "dg=="}, {"lease", "7"}}}}));
    EXPECT_EQ(body["success"][1], (nlohmann::json{{"request_delete_range", {{"key", "L2w="}}}}));
    EXPECT_EQ(body["failure"][0]["request_range"]["range_end"], etcd_base64("/p0"));
}

TEST(EtcdClient, AnswersParse) {
    // Sampled from etcd 3.4.23: a transaction that failed and read the key.
    auto failed = nlohmann::json::parse(R"({"header":{"revision":"2"},"responses":[
        {"response_range":{"header":{"revision":"2"},"kvs":[{"key":"L3IvbGVhZGVy",
        "create_revision":"2","mod_revision":"2","version":"1","value":"MQ==","lease":"42"}],
        "count":"1"}}]})");
    EtcdTxnResult r = etcd_parse_txn(failed);
    EXPECT_FALSE(r.succeeded);
    ASSERT_EQ(r.ranges.size(), 1u);
    ASSERT_EQ(r.ranges[0].size(), 1u);
    EXPECT_EQ(r.ranges[0][0].key, "/r/leader");
    EXPECT_EQ(r.ranges[0][0].value, "1");
    EXPECT_EQ(r.ranges[0][0].mod_revision, 2);
    EXPECT_EQ(r.ranges[0][0].lease, 42);
    auto ok = nlohmann::json::parse(
        R"({"succeeded":true,"responses":[{"response_put":{"header":{"revision":"3"}}},
            {"response_range":{"header":{"revision":"3"}}}]})");
    r = etcd_parse_txn(ok);
    EXPECT_TRUE(r.succeeded);
    ASSERT_EQ(r.ranges.size(), 1u);
    EXPECT_TRUE(r.ranges[0].empty());  // a range of a missing key has no "kvs"
    EXPECT_EQ(etcd_number(nlohmann::json("9223372036854775807")), 9223372036854775807LL);
    EXPECT_EQ(etcd_number(nlohmann::json(5)), 5);
    EXPECT_EQ(etcd_number(nlohmann::json()), 0);
    EXPECT_THROW(etcd_number(nlohmann::json("x")), EtcdError);
}

// Both shapes of the gateway's errors; a stream's error is an object, and
// reading it as a string once stopped repmgrd when etcd lost its quorum.
TEST(EtcdClient, ErrorAnswersOfBothShapesAreRead) {
    EXPECT_EQ(etcd_error_message(nlohmann::json::parse(
                  R"({"error":"etcdserver: no leader","code":14,"message":"etcdserver: no leader"})")),
              "etcdserver: no leader");
    EXPECT_EQ(etcd_error_message(nlohmann::json::parse(
                  R"({"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader",
                      "http_status":"Service Unavailable"}})")),
              "etcdserver: no leader");
    EXPECT_EQ(etcd_error_message(nlohmann::json::parse(R"({"error":{"grpc_code":5}})")), "");
    EXPECT_EQ(etcd_error_message(nlohmann::json::parse("[1]")), "");
    // A list of another shape is an EtcdError, never a JSON exception.
    EXPECT_THROW(etcd_parse_kvs(nlohmann::json::parse(R"({"kvs":[{"key":{"x":1}}]})")), EtcdError);
    EXPECT_THROW(etcd_parse_txn(nlohmann::json::parse(R"({"succeeded":"yes"})")), EtcdError);
}

TEST(EtcdClient, NoEndpointAnsweringIsAnErrorWithinTheDeadline) {
    // A closed port on loopback: refused at once, the next endpoint is tried.
    std::string why;
    EtcdOptions o;
    o.endpoints = *parse_etcd_endpoints("http://127.0.0.1:1,http://127.0.0.1:2", why);
    o.timeout_ms = 500;
    EtcdClient client(o);
    try {
        client.get("/x");
        ADD_FAILURE() << "no etcd listens there";
    } catch (const EtcdError& e) {
        std::string what = e.what();
        EXPECT_NE(what.find("127.0.0.1:1"), std::string::npos) << what;
        EXPECT_NE(what.find("127.0.0.1:2"), std::string::npos) << what;
    }
}

}  // namespace
}  // namespace repmgr
