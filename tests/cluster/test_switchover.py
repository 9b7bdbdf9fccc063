"""standby switchover over a real sshd on loopback."""

import pytest

from pylib.conf import ssh_extra
from pylib.queries import events, nodes, streams_from
from pylib.wait import wait_until

pytestmark = pytest.mark.ssh


def active_masters(node):
    return [r[0] for r in node.sql("SELECT id FROM repmgr_test.repl_nodes "
                                   "WHERE type = 'master' AND active", dbname="repmgr")]


def test_switchover_and_back_with_siblings(harness, ssh_trio):
    n1, n2, n3 = ssh_trio
    n1.sql("CREATE TABLE data (id int PRIMARY KEY)")
    n1.sql("INSERT INTO data SELECT generate_series(1, 1000)")

    r = harness.repmgr("standby", "switchover", "--siblings-follow", "--dry-run", conf=n2.conf)
    assert r.returncode == 0, r.stderr
    assert "stop the primary" in r.stderr
    assert not n1.in_recovery() and n2.in_recovery()

    r = harness.repmgr("standby", "switchover", "--siblings-follow", conf=n2.conf)
    assert r.returncode == 0, r.stderr + r.stdout
    assert not n2.in_recovery()
    assert n1.in_recovery() and n3.in_recovery()
    assert streams_from(n2, "node1")
    wait_until(lambda: streams_from(n2, "node3"), what="node3 streaming from node2")
    assert n2.sql_one("SELECT count(*) FROM data") == 1000
    assert nodes(n2) == [(1, "standby", 2, True), (2, "master", None, True),
                         (3, "standby", 2, True)]
    assert active_masters(n2) == [2]
    assert (2, True) in events(n2, "standby_switchover")
    assert (1, True) in events(n2, "node_rejoin")
    assert (3, True) in events(n2, "standby_follow")
    # repmgrd was paused on every node for the switch, and unpaused after it
    assert n2.sql("SELECT node_id, paused FROM repmgr_test.repl_daemon ORDER BY node_id",
                  dbname="repmgr") == [(1, False), (2, False), (3, False)]

    n2.sql("INSERT INTO data SELECT generate_series(1001, 1100)")
    for n in (n1, n3):
        wait_until(lambda n=n: n.sql_one("SELECT count(*) FROM data") == 1100)
    r = harness.repmgr("cluster", "show", conf=n3.conf)
    lines = r.stdout.splitlines()
    assert any("node2" in l and "primary" in l and "* running" in l for l in lines)
    assert any("node1" in l and "standby" in l and "node2" in l for l in lines)

    # and back again, with repmgrd paused by the operator beforehand: the
    # switchover must leave that pause in place
    assert harness.repmgr("daemon", "pause", conf=n2.conf).returncode == 0
    r = harness.repmgr("standby", "switchover", "--siblings-follow", conf=n1.conf)
    assert r.returncode == 0, r.stderr + r.stdout
    assert not n1.in_recovery() and n2.in_recovery() and n3.in_recovery()
    assert streams_from(n1, "node2")
    wait_until(lambda: streams_from(n1, "node3"), what="node3 streaming from node1")
    assert n1.sql_one("SELECT count(*) FROM data") == 1100
    assert active_masters(n1) == [1]
    assert n1.sql("SELECT bool_and(paused) FROM repmgr_test.repl_daemon",
                  dbname="repmgr") == [(True,)]
    n1.sql("INSERT INTO data VALUES (1101)")
    for n in (n2, n3):
        wait_until(lambda n=n: n.sql_one("SELECT count(*) FROM data") == 1101)


def test_switchover_refused_when_ssh_fails(harness, ssh_trio, sshd):
    n1, n2, _ = ssh_trio
    extra = ssh_extra(harness, sshd)
    extra["ssh_options"] = "'-p 1 -o BatchMode=yes -o ConnectTimeout=3'"
    n2.write_repmgr_conf(2, extra=extra)
    r = harness.repmgr("standby", "switchover", conf=n2.conf)
    assert r.returncode == 12, r.stderr
    assert "ssh" in r.stderr
    assert not n1.in_recovery() and n2.in_recovery()
    assert active_masters(n1) == [1]


def test_switchover_refused_when_standby_lags(harness, ssh_trio):
    n1, n2, _ = ssh_trio
    n2.sql("SELECT pg_wal_replay_pause()")
    n1.sql("CREATE TABLE lagging (id int)")
    r = harness.repmgr("standby", "switchover", conf=n2.conf)
    assert r.returncode == 18, r.stderr
    assert "paused" in r.stderr
    assert not n1.in_recovery() and n2.in_recovery()
    n2.sql("SELECT pg_wal_replay_resume()")
