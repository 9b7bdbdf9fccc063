// node check verdicts from fabricated facts: thresholds, roles, slots,
// downstream/upstream and the Nagios output format.
#include <gtest/gtest.h>

#include "actions/node_check_rules.hpp"

using namespace repmgr;

namespace {

NodeRecord record(int id, NodeType type, std::string name, std::optional<int> upstream = {}) {
    NodeRecord n;
    n.id = id;
    n.type = type;
    n.name = std::move(name);
    n.upstream_node_id = upstream;
    return n;
}

CheckInputs primary_inputs() {
    CheckInputs in;
    in.node_id = 1;
    in.node_name = "node1";
    in.meta.nodes = {record(1, NodeType::Master, "node1"), record(2, NodeType::Standby, "node2"),
                     record(3, NodeType::Standby, "node3", 2),
                     record(4, NodeType::Witness, "witness")};
    in.meta.self = in.meta.nodes[0];
    in.server.archive.archive_mode = "on";
    in.server.archive.ready_count = 0;
    in.server.downstream = {{"node2", "127.0.0.1", "streaming", 0}};
    in.thresholds = CheckThresholds{10, 20, 2, 5};
    return in;
}

CheckInputs standby_inputs(double lag_seconds) {
    CheckInputs in = primary_inputs();
    in.node_id = 2;
    in.node_name = "node2";
    in.meta.self = in.meta.nodes[1];
    in.server.in_recovery = true;
    in.server.downstream = {};
    in.server.lag_seconds = lag_seconds;
    in.server.replay = ReplayState{1000, 400, true};
    in.server.wal_receiver = WalReceiverFacts{"streaming", "127.0.0.1", 5432, ""};
    UpstreamFacts up;
    up.node = in.meta.nodes[0];
    up.reachable = true;
    up.streams_to_us = true;
    up.lsn = 1500;
    in.upstream = up;
    return in;
}

}  // namespace

TEST(NodeCheckRules, RoleMatchesRegistration) {
    CheckInputs in = primary_inputs();
    EXPECT_EQ(evaluate_check(CheckKind::Role, in).status, CheckStatus::Ok);
    in.server.in_recovery = true;
    CheckResult r = evaluate_check(CheckKind::Role, in);
    EXPECT_EQ(r.status, CheckStatus::Critical);
    EXPECT_EQ(r.summary, "node is registered as primary but is running as a standby");
    in.meta.self.reset();
    EXPECT_EQ(evaluate_check(CheckKind::Role, in).status, CheckStatus::Unknown);
}

TEST(NodeCheckRules, LagThresholdsAreInclusive) {
    EXPECT_EQ(evaluate_check(CheckKind::ReplicationLag, standby_inputs(9.9)).status,
              CheckStatus::Ok);
    EXPECT_EQ(evaluate_check(CheckKind::ReplicationLag, standby_inputs(10)).status,
              CheckStatus::Warning);
    CheckResult r = evaluate_check(CheckKind::ReplicationLag, standby_inputs(25));
    EXPECT_EQ(r.status, CheckStatus::Critical);
    // Bytes are measured against the upstream's WAL end when it is known.
    EXPECT_EQ(r.perfdata, "lag=25s;10;20 lag_bytes=1100B");
    EXPECT_NE(r.summary.find("WAL replay is paused"), std::string::npos);
    EXPECT_EQ(evaluate_check(CheckKind::ReplicationLag, primary_inputs()).summary,
              "N/A - node is not a standby");
    CheckInputs unknown = standby_inputs(0);
    unknown.server.lag_seconds.reset();
    EXPECT_EQ(evaluate_check(CheckKind::ReplicationLag, unknown).status, CheckStatus::Unknown);
}

TEST(NodeCheckRules, ArchiveReadyCounts) {
    CheckInputs in = primary_inputs();
    in.server.archive.ready_count = 2;
    EXPECT_EQ(evaluate_check(CheckKind::ArchiveReady, in).status, CheckStatus::Warning);
    in.server.archive.ready_count = 5;
    EXPECT_EQ(evaluate_check(CheckKind::ArchiveReady, in).status, CheckStatus::Critical);
    in.server.archive.ready_count.reset();
    EXPECT_EQ(evaluate_check(CheckKind::ArchiveReady, in).status, CheckStatus::Unknown);
}

TEST(NodeCheckRules, DownstreamFollowsTheRecordedTopology) {
    // node2 streams from the primary; node3 cascades from node2.
    CheckInputs in = primary_inputs();
    EXPECT_EQ(evaluate_check(CheckKind::Downstream, in).summary,
              "1 of 1 downstream node(s) attached");
    in.server.downstream.clear();
    CheckResult r = evaluate_check(CheckKind::Downstream, in);
    EXPECT_EQ(r.status, CheckStatus::Critical);
    EXPECT_EQ(r.summary, "1 of 1 downstream node(s) not attached: \"node2\" (ID: 2)");
    CheckInputs standby = standby_inputs(0);
    EXPECT_EQ(evaluate_check(CheckKind::Downstream, standby).status, CheckStatus::Critical);
}

TEST(NodeCheckRules, InactiveSlotsAreCritical) {
    CheckInputs in = primary_inputs();
    EXPECT_EQ(evaluate_check(CheckKind::Slots, in).summary, "node has no replication slots");
    in.server.slots = {{"node2", "physical", true, 0}, {"old", "physical", false, 4096}};
    CheckResult r = evaluate_check(CheckKind::Slots, in);
    EXPECT_EQ(r.status, CheckStatus::Critical);
    EXPECT_EQ(r.summary, "1 of 2 replication slot(s) inactive: \"old\" (retains 4096 bytes)");
}

TEST(NodeCheckRules, UpstreamMustStreamToUs) {
    CheckInputs in = standby_inputs(0);
    EXPECT_EQ(evaluate_check(CheckKind::Upstream, in).status, CheckStatus::Ok);
    in.upstream->streams_to_us = false;
    EXPECT_EQ(evaluate_check(CheckKind::Upstream, in).status, CheckStatus::Critical);
    in.upstream->reachable = false;
    EXPECT_EQ(evaluate_check(CheckKind::Upstream, in).status, CheckStatus::Critical);
    in.server.wal_receiver.reset();
    EXPECT_EQ(evaluate_check(CheckKind::Upstream, in).summary,
              "node is not streaming: no WAL receiver runs");
}

TEST(NodeCheckRules, NagiosReport) {
    CheckResult ok{CheckKind::Role, CheckStatus::Ok, "node is primary", ""};
    CheckResult warn{CheckKind::ArchiveReady, CheckStatus::Warning, "3 | files", "files=3;2;5"};
    EXPECT_EQ(nagios_line(warn), "REPMGR_ARCHIVE_READY WARNING: 3 / files | files=3;2;5");
    std::vector<CheckResult> both{ok, warn};
    EXPECT_EQ(worst_status(both), CheckStatus::Warning);
    EXPECT_EQ(nagios_report(both),
              "REPMGR_NODE WARNING: WAL archiving: 3 / files | files=3;2;5\n"
              "REPMGR_SERVER_ROLE OK: node is primary\n"
              "REPMGR_ARCHIVE_READY WARNING: 3 / files\n");
    std::vector<CheckResult> unknown_and_critical{
        {CheckKind::Role, CheckStatus::Unknown, "x", ""},
        {CheckKind::Slots, CheckStatus::Critical, "y", ""}};
    EXPECT_EQ(worst_status(unknown_and_critical), CheckStatus::Critical);
    EXPECT_EQ(nagios_exit_code(CheckStatus::Unknown), 3);
}

TEST(NodeCheckRules, EtcdEndpointsAndTheLeaderKey) {
    CheckInputs in = primary_inputs();
    EXPECT_EQ(evaluate_check(CheckKind::Etcd, in).summary, "N/A - the arbiter is not etcd");
    in.etcd = EtcdFacts{3, 3, {}, 1, 8};
    CheckResult ok = evaluate_check(CheckKind::Etcd, in);
    EXPECT_EQ(ok.status, CheckStatus::Ok);
    EXPECT_EQ(ok.summary,
              "3 of 3 etcd endpoints answer; node 1 holds the leader key (8 s left on its lease)");
    EXPECT_EQ(ok.perfdata, "etcd_endpoints=3;;;0;3 etcd_lease_left=8s");
    EXPECT_EQ(nagios_line(ok).substr(0, 16), "REPMGR_ETCD OK: ");

    in.etcd = EtcdFacts{3, 2, "etcd at http://127.0.0.1:2 did not answer", 1, 8};
    CheckResult one_down = evaluate_check(CheckKind::Etcd, in);
    EXPECT_EQ(one_down.status, CheckStatus::Warning);
    EXPECT_NE(one_down.summary.find("2 of 3 etcd endpoints answer (etcd at http://127.0.0.1:2"),
              std::string::npos);

    in.etcd = EtcdFacts{3, 3, {}, 2, 8};  // a primary without the key
    CheckResult rival = evaluate_check(CheckKind::Etcd, in);
    EXPECT_EQ(rival.status, CheckStatus::Critical);
    EXPECT_NE(rival.summary.find("this node is a primary but node 2 holds the leader key"),
              std::string::npos);
    CheckInputs standby = standby_inputs(0);
    standby.etcd = EtcdFacts{3, 3, {}, 1, 8};
    EXPECT_EQ(evaluate_check(CheckKind::Etcd, standby).status, CheckStatus::Ok);

    in.etcd = EtcdFacts{3, 0, "no etcd endpoint answered", std::nullopt, -1};
    CheckResult down = evaluate_check(CheckKind::Etcd, in);
    EXPECT_EQ(down.status, CheckStatus::Critical);
    EXPECT_EQ(down.summary, "none of the 3 etcd endpoint(s) answers: no etcd endpoint answered");
    EXPECT_EQ(down.perfdata, "etcd_endpoints=0;;;0;3");
}
