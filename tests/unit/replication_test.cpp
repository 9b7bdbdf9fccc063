// Pure pieces of the role changes: LSNs, timeline histories, the follow
// decision and pg_controldata parsing.
#include <gtest/gtest.h>

#include "cluster/replication.hpp"
#include "pg/rewind.hpp"
#include "pg/ssh.hpp"

using namespace repmgr;

TEST(RolesLsn, ParsesAndFormats) {
    EXPECT_EQ(parse_lsn("0/0"), Lsn{0});
    EXPECT_EQ(parse_lsn("16/B374D848"), (Lsn{0x16} << 32) | 0xB374D848);
    EXPECT_EQ(format_lsn((Lsn{0x16} << 32) | 0xB374D848), "16/B374D848");
    EXPECT_FALSE(parse_lsn(""));
    EXPECT_FALSE(parse_lsn("12"));
    EXPECT_FALSE(parse_lsn("0/xyz"));
    EXPECT_FALSE(parse_lsn("/1"));
}

TEST(RolesTimelineHistory, ParsesHistoryFile) {
    auto h = parse_timeline_history("1\t0/3000108\tno recovery target specified\n\n"
                                    "2\t0/5000000\tno recovery target specified\n");
    ASSERT_EQ(h.size(), 2u);
    EXPECT_EQ(h[0].timeline, 1);
    EXPECT_EQ(h[0].switchpoint, *parse_lsn("0/3000108"));
    EXPECT_EQ(h[1].timeline, 2);
}

TEST(RolesTimelineHistory, SkipsLinesThatAreNoEntries) {
    auto h = parse_timeline_history("# comment\nx\t0/1\n99999999999\t0/2\n3\tnot-an-lsn\n"
                                    "4\t0/4000000\treason\n");
    ASSERT_EQ(h.size(), 1u);
    EXPECT_EQ(h[0].timeline, 4);
}

TEST(RolesFollowCheck, SameTimelineBehindIsFine) {
    auto c = check_can_follow({1, 100}, {1, 200}, {});
    EXPECT_EQ(c.verdict, FollowVerdict::Compatible);
}

TEST(RolesFollowCheck, SameTimelineAheadDiverged) {
    auto c = check_can_follow({1, 300}, {1, 200}, {});
    EXPECT_EQ(c.verdict, FollowVerdict::Diverged);
}

TEST(RolesFollowCheck, OlderTimelineUpToSwitchpointIsFine) {
    std::vector<TimelineSwitch> h{{1, 500}};
    EXPECT_EQ(check_can_follow({1, 500}, {2, 900}, h).verdict, FollowVerdict::Compatible);
    EXPECT_EQ(check_can_follow({1, 400}, {2, 900}, h).verdict, FollowVerdict::Compatible);
}

TEST(RolesFollowCheck, OlderTimelinePastSwitchpointDiverged) {
    std::vector<TimelineSwitch> h{{1, 500}};
    auto c = check_can_follow({1, 501}, {2, 900}, h);
    EXPECT_EQ(c.verdict, FollowVerdict::Diverged);
    EXPECT_NE(c.reason.find("timeline 1"), std::string::npos);
}

TEST(RolesFollowCheck, TimelineMissingFromHistoryDiverged) {
    std::vector<TimelineSwitch> h{{1, 500}, {3, 700}};
    EXPECT_EQ(check_can_follow({2, 600}, {4, 900}, h).verdict, FollowVerdict::Diverged);
}

TEST(RolesFollowCheck, LaterTimelineThanUpstreamDiverged) {
    EXPECT_EQ(check_can_follow({3, 10}, {2, 900}, {}).verdict, FollowVerdict::Diverged);
}

TEST(RolesControlData, ParsesPgControldataOutput) {
    auto cd = parse_control_data(
        "pg_control version number:            1300\n"
        "Database cluster state:               shut down in recovery\n"
        "Latest checkpoint location:           0/5000060\n"
        "Latest checkpoint's TimeLineID:       2\n"
        "Minimum recovery ending location:     0/5000110\n"
        "Min recovery ending loc's timeline:   2\n"
        "wal_log_hints setting:                on\n"
        "Data page checksum version:           0\n");
    EXPECT_EQ(cd.state, "shut down in recovery");
    EXPECT_TRUE(cd.shut_down_cleanly());
    EXPECT_TRUE(cd.was_standby());
    EXPECT_EQ(cd.checkpoint_lsn, "0/5000060");
    EXPECT_EQ(cd.checkpoint_timeline, 2);
    EXPECT_EQ(cd.min_recovery_lsn, "0/5000110");
    EXPECT_TRUE(cd.wal_log_hints);
    EXPECT_FALSE(cd.data_checksums);
    EXPECT_TRUE(cd.rewindable());
    EXPECT_FALSE(parse_control_data("Database cluster state: in production\n").shut_down_cleanly());
}

TEST(RolesSsh, HostOfConninfo) {
    EXPECT_EQ(ssh_host_of("host=db1 port=5432 dbname=repmgr"), "db1");
    EXPECT_EQ(ssh_host_of("host=/var/run/postgresql dbname=repmgr"), "localhost");
    EXPECT_EQ(ssh_host_of("dbname=repmgr"), "localhost");
    EXPECT_EQ(ssh_host_of("host=a,b dbname=repmgr"), "a");
}

TEST(RolesSsh, RemoteConfigPathPlaceholders) {
    Config c;
    c.source_file = "/etc/repmgr.conf";
    NodeRecord node3;
    node3.id = 3;
    node3.name = "node3";
    EXPECT_EQ(remote_config_path(c, node3), "/etc/repmgr.conf");
    c.remote_config_file = "/srv/%a/repmgr-%n.conf";
    EXPECT_EQ(remote_config_path(c, node3), "/srv/node3/repmgr-3.conf");
    c.repmgr_bindir = "/opt/repmgr/bin";
    auto argv = remote_repmgr_argv(c, node3, {"node", "rejoin"});
    ASSERT_EQ(argv.size(), 5u);
    EXPECT_EQ(argv[0], "/opt/repmgr/bin/repmgr");
    EXPECT_EQ(argv[2], "/srv/node3/repmgr-3.conf");
}

// The path a node recorded at registration beats our own; remote_config_file
// still overrides both.
TEST(RolesSsh, RemoteConfigPathRecorded) {
    Config c;
    c.source_file = "/srv/node2/conf/other-name.conf";
    NodeRecord node1;
    node1.id = 1;
    node1.name = "node1";
    node1.config_file = "/srv/node1/repmgr.conf";
    EXPECT_EQ(remote_config_path(c, node1), "/srv/node1/repmgr.conf");
    EXPECT_EQ(remote_repmgr_argv(c, node1, {"standby", "follow"})[2], "/srv/node1/repmgr.conf");
    c.remote_config_file = "/etc/%a.conf";
    EXPECT_EQ(remote_config_path(c, node1), "/etc/node1.conf");
}
