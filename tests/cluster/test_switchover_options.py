"""standby switchover's repmgr 5 options (--always-promote, --repmgrd-no-pause,
--repmgrd-force-unpause, --force-rewind), the old primary stopped by its own
repmgr (its own service_stop_command), and cascaded standbys."""

import os

import pytest

from pylib.conf import ssh_extra
from pylib.harness import PG_BIN
from pylib.queries import nodes, streams_from
from pylib.wait import wait_until

pytestmark = pytest.mark.ssh


def settings(harness, sshd, **more):
    extra = ssh_extra(harness, sshd)
    del extra["remote_config_file"]  # each node's recorded path is used
    extra.update(more)
    return extra


def register(harness, node, node_id, extra, *args):
    node.write_repmgr_conf(node_id, extra=extra)
    verb = "primary" if node_id == 1 else "standby"
    r = harness.repmgr(verb, "register", *args, conf=node.conf)
    assert r.returncode == 0, r.stderr


def paused_flags(node):
    return node.sql("SELECT node_id, paused FROM repmgr_test.repl_daemon ORDER BY node_id",
                    dbname="repmgr")


def test_always_promote(harness, sshd):
    extra = settings(harness, sshd, standby_catchup_timeout="3")
    n1 = harness.primary("node1")
    register(harness, n1, 1, extra)
    n2 = harness.standby_of(n1, "node2")
    register(harness, n2, 2, extra)
    n1.sql("CREATE TABLE data (id int)")
    wait_until(lambda: n2.sql_one("SELECT count(*) FROM pg_class WHERE relname = 'data'") == 1)
    n2.sql("SELECT pg_wal_replay_pause()")
    n1.sql("INSERT INTO data SELECT generate_series(1, 10)")

    r = harness.repmgr("standby", "switchover", conf=n2.conf)
    assert r.returncode == 18, r.stderr
    assert "--always-promote" in r.stderr  # the hint names the way out
    assert not n1.in_recovery() and n2.in_recovery()

    r = harness.repmgr("standby", "switchover", "--always-promote", "--force-rewind", conf=n2.conf)
    assert r.returncode == 0, r.stderr + r.stdout
    assert "--always-promote" in r.stderr
    assert not n2.in_recovery() and n1.in_recovery()
    # promotion ends the pause: PostgreSQL replays the WAL it received first
    assert n2.sql_one("SELECT count(*) FROM data") == 10
    wait_until(lambda: streams_from(n2, "node1"), what="node1 streaming from node2")
    n2.sql("INSERT INTO data VALUES (42)")
    wait_until(lambda: n1.sql_one("SELECT count(*) FROM data") == 11)


def test_remote_stop_daemon_pause_options_and_cascade(harness, sshd):
    extra = settings(harness, sshd)
    n1 = harness.primary("node1")
    marker = os.path.join(n1.confdir, "stopped-by-own-command")
    own = dict(extra, service_stop_command=f"'touch {marker} && {PG_BIN}/pg_ctl -D "
                                           f"{n1.datadir} -m fast -w stop'")
    register(harness, n1, 1, own)
    n2 = harness.standby_of(n1, "node2")
    register(harness, n2, 2, extra)
    # node3 cascades from node2
    n3 = harness.standby_of(n2, "node3")
    register(harness, n3, 3, extra, "--upstream-node-id=2")
    wait_until(lambda: streams_from(n2, "node3"), what="node3 streaming from node2")

    assert harness.repmgr("daemon", "pause", conf=n1.conf).returncode == 0
    r = harness.repmgr("standby", "switchover", "--repmgrd-no-pause", "--dry-run", conf=n2.conf)
    assert r.returncode == 0, r.stderr
    assert "pause repmgrd" not in r.stderr
    assert f"-D {n1.datadir} node service --action=stop --checkpoint" in r.stderr

    r = harness.repmgr("standby", "switchover", "--repmgrd-force-unpause", conf=n2.conf)
    assert r.returncode == 0, r.stderr + r.stdout
    # node1 was stopped by its own repmgr with its own service_stop_command
    assert os.path.exists(marker)
    assert not n2.in_recovery() and n1.in_recovery()
    assert paused_flags(n2) == [(1, False), (2, False), (3, False)]
    # the cascaded standby still follows node2, now the primary
    assert streams_from(n2, "node1")
    wait_until(lambda: streams_from(n2, "node3"), what="node3 streaming from node2")
    assert nodes(n2) == [(1, "standby", 2, True), (2, "master", None, True),
                         (3, "standby", 2, True)]

    # back again: node3 is now node1's sibling and follows it when asked
    r = harness.repmgr("standby", "switchover", "--siblings-follow", "--repmgrd-no-pause",
                       conf=n1.conf)
    assert r.returncode == 0, r.stderr + r.stdout
    assert not n1.in_recovery() and n2.in_recovery() and n3.in_recovery()
    wait_until(lambda: streams_from(n1, "node3"), what="node3 streaming from node1")
    assert nodes(n1) == [(1, "master", None, True), (2, "standby", 1, True),
                         (3, "standby", 1, True)]
    n1.sql("CREATE TABLE after_back (x int)")
    for n in (n2, n3):
        wait_until(lambda n=n: n.sql_one(
            "SELECT count(*) FROM pg_class WHERE relname = 'after_back'") == 1)
