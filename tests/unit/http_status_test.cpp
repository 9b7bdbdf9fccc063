#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>
#include <sstream>

#include "daemon/http/http_status.hpp"

using namespace repmgr::repmgrd;
using SystemClock = std::chrono::system_clock;

namespace {

SystemClock::time_point t0() { return SystemClock::time_point(std::chrono::seconds(1'700'000'000)); }

DaemonStatus primary_status() {
    DaemonStatus s;
    s.node_id = 1;
    s.node_name = "node1";
    s.role = "primary";
    s.local_reachable = true;
    s.legitimate_primary = true;
    s.timeline = 3;
    s.checked_at = t0();
    return s;
}

DaemonStatus standby_status() {
    DaemonStatus s;
    s.node_id = 2;
    s.node_name = "node2";
    s.role = "standby";
    s.upstream_id = 1;
    s.local_reachable = true;
    s.in_recovery = true;
    s.streaming = true;
    s.lag_bytes = 1000;
    s.lag_seconds = 2.5;
    s.checked_at = t0();
    return s;
}

}  // namespace

TEST(HttpStatus, NothingPublishedYetIs503ButMetricsAnswer) {
    EXPECT_EQ(answer_request("/health", {}, nullptr, t0()).status, 503);
    EXPECT_EQ(answer_request("/primary", {}, nullptr, t0()).status, 503);
    EXPECT_EQ(answer_request("/replica", {}, nullptr, t0()).status, 503);
    EXPECT_EQ(answer_request("/status", {}, nullptr, t0()).status, 503);
    HttpAnswer m = answer_request("/metrics", {}, nullptr, t0());
    EXPECT_EQ(m.status, 200);
    EXPECT_NE(m.body.find("repmgr_up 0\n"), std::string::npos);
    EXPECT_EQ(answer_request("/nope", {}, nullptr, t0()).status, 404);
}

TEST(HttpStatus, HealthFollowsTheLocalServer) {
    DaemonStatus s = standby_status();
    EXPECT_EQ(answer_health(&s).status, 200);
    s.local_reachable = false;
    s.local_error = "connection refused";
    HttpAnswer a = answer_health(&s);
    EXPECT_EQ(a.status, 503);
    EXPECT_NE(a.body.find("connection refused"), std::string::npos);
}

// libpq's messages can quote a conninfo; no endpoint may show its password.
TEST(HttpStatus, NoEndpointShowsAPasswordFromALibpqMessage) {
    DaemonStatus s = standby_status();
    s.local_reachable = false;
    s.local_error = "connection to server failed: host=127.0.0.1 user=repmgr "
                    "password=s3cret-pw dbname=repmgr: Connection refused";
    s.reason = "local server unreachable (postgresql://repmgr:s3cret-pw@127.0.0.1/repmgr)";
    s.role = "primary";
    s.in_recovery = false;
    s.not_legitimate_because = "cannot read password='s3cret-pw'";
    for (const char* path : {"/health", "/primary", "/replica", "/status", "/metrics"}) {
        HttpAnswer a = answer_request(path, {}, &s, t0());
        EXPECT_EQ(a.body.find("s3cret-pw"), std::string::npos) << path << ": " << a.body;
    }
    HttpAnswer health = answer_request("/health", {}, &s, t0());
    EXPECT_EQ(health.status, 503);
    EXPECT_NE(health.body.find("Connection refused"), std::string::npos);  // still useful
    EXPECT_NE(health.body.find("password=********"), std::string::npos);
    s.local_reachable = true;  // /primary then gives the not-legitimate reason
    EXPECT_EQ(answer_request("/primary", {}, &s, t0()).body.find("s3cret-pw"), std::string::npos);
}

TEST(HttpStatus, PrimaryOnlyOnTheLegitimatePrimary) {
    DaemonStatus p = primary_status();
    EXPECT_EQ(answer_primary(&p).status, 200);
    p.legitimate_primary = false;
    p.not_legitimate_because = "split brain: another node is primary on a newer timeline";
    HttpAnswer a = answer_primary(&p);
    EXPECT_EQ(a.status, 503);
    EXPECT_NE(a.body.find("split brain"), std::string::npos);
    DaemonStatus s = standby_status();
    EXPECT_EQ(answer_primary(&s).status, 503);
    p = primary_status();
    p.local_reachable = false;
    p.legitimate_primary = false;
    EXPECT_EQ(answer_primary(&p).status, 503);
}

TEST(HttpStatus, ReplicaHonoursLagLimits) {
    DaemonStatus s = standby_status();
    EXPECT_EQ(answer_replica(&s, {}).status, 200);
    EXPECT_EQ(answer_replica(&s, {{"max_lag_bytes", "1000"}}).status, 200);
    EXPECT_EQ(answer_replica(&s, {{"max_lag_bytes", "999"}}).status, 503);
    EXPECT_EQ(answer_replica(&s, {{"max_lag_s", "3"}}).status, 200);
    EXPECT_EQ(answer_replica(&s, {{"max_lag_s", "2"}}).status, 503);
    EXPECT_EQ(answer_replica(&s, {{"max_lag_bytes", "abc"}}).status, 400);
    EXPECT_EQ(answer_replica(&s, {{"max_lag_s", "-1"}}).status, 400);
    s.lag_bytes.reset();
    EXPECT_EQ(answer_replica(&s, {{"max_lag_bytes", "10"}}).status, 503);
    EXPECT_EQ(answer_replica(&s, {}).status, 200);
    s.streaming = false;
    EXPECT_EQ(answer_replica(&s, {}).status, 503);
    DaemonStatus p = primary_status();
    EXPECT_EQ(answer_replica(&p, {}).status, 503);
}

TEST(HttpStatus, StatusJsonCarriesTheEssentials) {
    DaemonStatus s = standby_status();
    s.last_events.push_back(PublishedEvent{"repmgrd_start", true, "started", t0()});
    HttpAnswer a = answer_request("/status", {}, &s, t0() + std::chrono::seconds(4));
    EXPECT_EQ(a.status, 200);
    EXPECT_EQ(a.content_type, "application/json");
    for (const char* needle : {"\"node_id\": 2", "\"role\": \"standby\"", "\"bytes\": 1000",
                               "\"last_check_age_seconds\": 4.0", "\"repmgrd_start\"",
                               "\"time\": \"2023-11-14T22:13:20Z\""})
        EXPECT_NE(a.body.find(needle), std::string::npos) << needle << "\n" << a.body;
}

// A name from an SQL_ASCII metadata database need not be UTF-8: /status
// still answers (found by tests/fuzz/fuzz_http; it used to throw, a 500).
TEST(HttpStatus, StatusJsonSurvivesBytesThatAreNotUtf8) {
    DaemonStatus s = standby_status();
    s.node_name = "node\xff" "2";
    s.reason = "upstream \xc3 gone";
    HttpAnswer a = answer_request("/status", {}, &s, t0());
    EXPECT_EQ(a.status, 200);
    EXPECT_NE(a.body.find("node\xef\xbf\xbd" "2"), std::string::npos) << a.body;
}

TEST(HttpStatus, MetricsEverySampleHasHelpAndType) {
    DaemonStatus s = standby_status();
    s.state = "upstream-\"lost\"";
    std::string text = render_metrics(&s, t0() + std::chrono::milliseconds(1500));
    std::istringstream in(text);
    std::string line;
    std::set<std::string> helped, typed;
    int samples = 0;
    while (std::getline(in, line)) {
        if (line.rfind("# HELP ", 0) == 0) {
            helped.insert(line.substr(7, line.find(' ', 7) - 7));
        } else if (line.rfind("# TYPE ", 0) == 0) {
            typed.insert(line.substr(7, line.find(' ', 7) - 7));
        } else {
            std::string name = line.substr(0, line.find_first_of("{ "));
            EXPECT_TRUE(helped.count(name) && typed.count(name)) << line;
            ++samples;
        }
    }
    EXPECT_GT(samples, 8);
    EXPECT_NE(text.find("repmgr_role{role=\"standby\"} 1\n"), std::string::npos);
    EXPECT_NE(text.find("repmgr_replication_lag_bytes 1000\n"), std::string::npos);
    EXPECT_NE(text.find("repmgr_replication_lag_seconds 2.500\n"), std::string::npos);
    EXPECT_NE(text.find("repmgr_last_check_age_seconds 1.500\n"), std::string::npos);
    EXPECT_NE(text.find("repmgr_daemon_state{state=\"upstream-\\\"lost\\\"\"} 1\n"),
              std::string::npos);
    EXPECT_NE(text.find("# TYPE repmgr_failovers_total counter\n"), std::string::npos);
}

TEST(HttpStatus, LsnDistance) {
    EXPECT_EQ(lsn_distance("1/0", "0/FFFFFFFF"), 1);
    EXPECT_EQ(lsn_distance("0/10", "0/10"), 0);
    EXPECT_EQ(lsn_distance("0/0", "0/10"), -16);
    EXPECT_FALSE(lsn_distance("junk", "0/10"));
}

TEST(HttpStatus, SynchronousStandbysInJsonAndMetrics) {
    DaemonStatus s = standby_status();
    s.role = "primary";
    s.synchronous = "on";
    s.sync_standbys = {{2, "node2", "sync"}, {3, "node3", "async"}};
    s.zero_loss_candidates = std::vector<int>{2};
    auto j = nlohmann::json::parse(render_status_json(s, t0()));
    EXPECT_EQ(j["synchronous"]["mode"], "on");
    EXPECT_EQ(j["synchronous"]["standbys"][0]["sync_state"], "sync");
    EXPECT_EQ(j["synchronous"]["standbys"][1]["node_id"], 3);
    EXPECT_EQ(j["synchronous"]["zero_loss_candidates"], nlohmann::json::array({2}));
    std::string text = render_metrics(&s, t0());
    EXPECT_NE(text.find("repmgr_synchronous_standby{node_id=\"2\",node_name=\"node2\"} 1\n"),
              std::string::npos) << text;
    EXPECT_NE(text.find("repmgr_synchronous_standby{node_id=\"3\",node_name=\"node3\"} 0\n"),
              std::string::npos) << text;
    EXPECT_NE(text.find("repmgr_zero_loss_candidate{node_id=\"2\"} 1\n"), std::string::npos);
}
