// The status page (GET /) and its data (GET /status/cluster): the page is
// self-contained under a strict CSP, and the cluster is this node's view.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>

#include "daemon/http/cluster_view.hpp"
#include "daemon/http/http_status.hpp"

using namespace repmgr;
using namespace repmgr::repmgrd;
using SystemClock = std::chrono::system_clock;

namespace {

SystemClock::time_point t0() { return SystemClock::time_point(std::chrono::seconds(1'700'000'000)); }

NodeRecord record(int id, NodeType type, std::optional<int> upstream) {
    NodeRecord r;
    r.id = id;
    r.type = type;
    r.name = "node" + std::to_string(id);
    r.upstream_node_id = upstream;
    return r;
}

// Node 2, a standby of node 1 with a sibling (3) and a witness (4).
Snapshot standby_snapshot() {
    Snapshot s;
    s.node_id = 2;
    s.role = NodeRole::Standby;
    s.local.reachable = true;
    s.local.in_recovery = true;
    s.upstream_id = 1;
    s.upstream.reachable = true;
    s.primary_writable = true;
    s.nodes = {record(1, NodeType::Master, std::nullopt), record(2, NodeType::Standby, 1),
               record(3, NodeType::Standby, 1), record(4, NodeType::Witness, std::nullopt)};
    return s;
}

DaemonStatus self_status() {
    DaemonStatus d;
    d.node_id = 2;
    d.node_name = "node2";
    d.state = "monitoring";
    d.reason = "standby is running; upstream node 1 answers";
    d.lag_bytes = 0;
    d.checked_at = t0();
    return d;
}

const ClusterNodeStatus& node(const ClusterStatus& c, int id) {
    for (const auto& n : c.nodes)
        if (n.node_id == id) return n;
    throw std::runtime_error("no node " + std::to_string(id));
}

}  // namespace

TEST(StatusPage, IsOneDocumentUnderAStrictPolicy) {
    HttpAnswer a = answer_request("/", {}, nullptr, t0());
    EXPECT_EQ(a.status, 200);  // the page itself needs no tick: its data does
    EXPECT_EQ(a.content_type, "text/html; charset=utf-8");
    EXPECT_EQ(answer_request("/index.html", {}, nullptr, t0()).body.size(), a.body.size());
    std::string csp;
    for (const auto& [k, v] : a.headers)
        if (k == "Content-Security-Policy") csp = v;
    EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("connect-src 'self'"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("unsafe"), std::string::npos) << csp;
    // The nonce of the policy is the nonce of the page's script and style,
    // and a new one each time.
    std::smatch m;
    ASSERT_TRUE(std::regex_search(csp, m, std::regex("script-src 'nonce-([A-Za-z0-9+/=]{24})'")));
    std::string nonce = m[1];
    EXPECT_NE(a.body.find("<script nonce=\"" + nonce + "\">"), std::string::npos);
    EXPECT_NE(a.body.find("<style nonce=\"" + nonce + "\">"), std::string::npos);
    EXPECT_EQ(a.body.find("{{nonce}}"), std::string::npos);
    EXPECT_EQ(answer_request("/", {}, nullptr, t0()).body.find(nonce), std::string::npos);
    // Nothing from elsewhere, and no data ever parsed as markup.
    EXPECT_EQ(a.body.find("http:"), std::string::npos);
    EXPECT_EQ(a.body.find("https:"), std::string::npos);
    EXPECT_EQ(a.body.find("//cdn"), std::string::npos);
    EXPECT_EQ(a.body.find("innerHTML"), std::string::npos);
    EXPECT_EQ(a.body.find("insertAdjacentHTML"), std::string::npos);
    EXPECT_EQ(a.body.find("document.write"), std::string::npos);
    EXPECT_NE(a.body.find("fetch(\"status/cluster\""), std::string::npos);
}

TEST(StatusPage, ClusterDataWaitsForTheFirstTick) {
    EXPECT_EQ(answer_request("/status/cluster", {}, nullptr, t0()).status, 503);
}

TEST(StatusPage, StandbyViewOfAHealthyCluster) {
    Snapshot s = standby_snapshot();
    DaemonStatus d = self_status();
    ClusterOverview o;
    DaemonRow r1;
    r1.node_id = 1;
    r1.pid = 100;
    r1.interval_secs = 2;
    r1.seconds_since_seen = 1.5;
    r1.state = "monitoring";
    r1.reason = "primary is running; all 2 standbys attached";
    DaemonRow r3 = r1;
    r3.node_id = 3;
    r3.seconds_since_seen = 60;  // stopped reporting
    o.daemons = {r1, r3};
    o.events = {EventRecord{3, "standby_register", true, "2026-01-01T00:00:00Z", "ok"}};
    ClusterStatus c = build_cluster_status(s, d, &o, 1);
    d.cluster = c;

    EXPECT_EQ(c.primary_id, 1);
    EXPECT_EQ(node(c, 1).answers, true);
    EXPECT_EQ(node(c, 1).tree_upstream_id, std::nullopt);
    EXPECT_EQ(node(c, 1).daemon, "running");
    EXPECT_EQ(node(c, 1).daemon_reason, r1.reason);
    EXPECT_EQ(node(c, 2).answers, true);
    EXPECT_EQ(node(c, 2).daemon_reason, d.reason);  // its own, fresher than the primary's copy
    EXPECT_EQ(node(c, 2).tree_upstream_id, 1);
    EXPECT_EQ(node(c, 3).answers, std::nullopt);  // node 2 has no way to tell
    EXPECT_EQ(node(c, 3).daemon, "not reporting");
    EXPECT_EQ(node(c, 4).role, "witness");
    EXPECT_EQ(node(c, 4).tree_upstream_id, std::nullopt);
    ASSERT_EQ(c.events.size(), 1u);
    EXPECT_EQ(c.events[0].node_name, "node3");

    auto j = nlohmann::json::parse(render_cluster_json(d, t0()));
    EXPECT_EQ(j["primary"]["node_name"], "node1");
    EXPECT_EQ(j["nodes"].size(), 4u);
    EXPECT_EQ(j["nodes"][1]["tree_upstream_node_id"], 1);
    EXPECT_EQ(j["nodes"][2]["answers"], nullptr);
    EXPECT_EQ(j["events"][0]["event"], "standby_register");
    EXPECT_EQ(j["error"], nullptr);
}

TEST(StatusPage, ThisNodesViewWinsOverStaleMetadata) {
    // Node 1 failed, node 3 was promoted; node 2's copy of the metadata has
    // not caught up, but node 2 saw node 3 answer as the writable primary.
    Snapshot s = standby_snapshot();
    s.upstream.reachable = false;
    s.primary_writable = false;
    s.primary_elsewhere = 3;
    ClusterStatus c = build_cluster_status(s, self_status(), nullptr, std::nullopt);
    EXPECT_EQ(c.primary_id, 3);
    EXPECT_EQ(node(c, 3).role, "primary");
    EXPECT_EQ(node(c, 3).answers, true);
    EXPECT_EQ(node(c, 3).tree_upstream_id, std::nullopt);
    ASSERT_EQ(node(c, 3).notes.size(), 1u);
    EXPECT_NE(node(c, 3).notes[0].find("still registers it as standby"), std::string::npos);
    EXPECT_EQ(node(c, 1).answers, false);
    EXPECT_EQ(node(c, 1).seen_via, "upstream of node 2");
}

TEST(StatusPage, PrimaryReportsItsStandbysLag) {
    Snapshot s = standby_snapshot();
    s.node_id = 1;
    s.role = NodeRole::Primary;
    s.local.in_recovery = false;
    s.upstream_id.reset();
    s.expected_standbys = {"node2", "node3"};
    s.attached_standbys = {"node2"};
    ClusterOverview o;
    o.downstream = {DownstreamStandby{"node2", "streaming", "async", 4096, 0.25}};
    DaemonStatus d = self_status();
    d.node_id = 1;
    ClusterStatus c = build_cluster_status(s, d, &o, 1);
    EXPECT_EQ(c.primary_id, 1);
    EXPECT_EQ(node(c, 2).answers, true);
    EXPECT_EQ(node(c, 2).lag_bytes, 4096);
    EXPECT_EQ(node(c, 2).replication, "streaming (async)");
    EXPECT_EQ(node(c, 3).replication, "not streaming here");
    EXPECT_EQ(node(c, 3).tree_upstream_id, 1);
}

TEST(StatusPage, SecretsInReasonsAndEventsAreMasked) {
    DaemonStatus d = self_status();
    ClusterNodeStatus n;
    n.node_id = 2;
    n.daemon_reason = "cannot connect: host=x password=hunter2";
    d.cluster.nodes = {n};
    d.cluster.events = {ClusterEventStatus{2, "node2", "e", false, "t", "password=hunter2"}};
    std::string body = render_cluster_json(d, t0());
    EXPECT_EQ(body.find("hunter2"), std::string::npos) << body;
}
