"""node rejoin on real servers: with and without diverged timelines."""

import os

from pylib.queries import events, nodes, streams_from
from pylib.wait import wait_until


def rows(node, table):
    return [r[0] for r in node.sql(f"SELECT v FROM {table} ORDER BY v")]


def test_rejoin_refuses_running_node(harness, registered_pair):
    primary, standby = registered_pair
    r = harness.repmgr("node", "rejoin", "-d", standby.conninfo(), conf=primary.conf)
    assert r.returncode == 24, r.stderr
    assert "running" in r.stderr


def test_rejoin_former_primary_without_divergence(harness, registered_pair):
    primary, standby = registered_pair
    primary.sql("CREATE TABLE kept (v text)")
    primary.sql("INSERT INTO kept VALUES ('before')")
    primary.stop("fast")
    r = harness.repmgr("standby", "promote", conf=standby.conf)
    assert r.returncode == 0, r.stderr

    r = harness.repmgr("node", "rejoin", "-d", standby.conninfo(), "--dry-run", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    assert "no rewind needed" in r.stderr
    assert not primary.running()

    r = harness.repmgr("node", "rejoin", "-d", standby.conninfo(), conf=primary.conf)
    assert r.returncode == 0, r.stderr
    assert "pg_rewind" not in r.stderr
    assert primary.in_recovery()
    assert streams_from(standby, "node1")
    assert nodes(standby) == [(1, "standby", 2, True), (2, "master", None, True)]
    assert events(standby, "node_rejoin") == [(1, True)]
    standby.sql("INSERT INTO kept VALUES ('after')")
    wait_until(lambda: rows(primary, "kept") == ["after", "before"])


def test_rejoin_diverged_needs_force_rewind(harness, registered_pair):
    primary, standby = registered_pair
    primary.sql("CREATE TABLE t (v text)")
    wait_until(lambda: standby.sql_one("SELECT count(*) FROM pg_class WHERE relname = 't'") == 1)
    # split brain on purpose: both accept writes for a moment
    r = harness.repmgr("standby", "promote", "-F", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    primary.sql("INSERT INTO t VALUES ('lost')")
    standby.sql("INSERT INTO t VALUES ('kept')")
    primary.stop("fast")

    r = harness.repmgr("node", "rejoin", "-d", standby.conninfo(), conf=primary.conf)
    assert r.returncode == 24, r.stderr
    assert "--force-rewind" in r.stderr
    r = harness.repmgr("node", "rejoin", "-d", standby.conninfo(), "--force-rewind", "--dry-run",
                       conf=primary.conf)
    assert r.returncode == 0, r.stderr
    assert "rewind is needed" in r.stderr and "possible" in r.stderr
    assert not primary.running()

    r = harness.repmgr("node", "rejoin", "-d", standby.conninfo(), "--force-rewind",
                       conf=primary.conf)
    assert r.returncode == 0, r.stderr
    assert primary.in_recovery()
    assert streams_from(standby, "node1")
    assert rows(primary, "t") == ["kept"]
    # pg_rewind copied node2's configuration: node1 must keep its own port
    assert primary.sql_one("SHOW port") == str(primary.port)
    with open(os.path.join(primary.datadir, "postgresql.auto.conf")) as f:
        assert f"port={standby.port}" in f.read().replace(" ", "").replace("'", "")
    assert nodes(standby) == [(1, "standby", 2, True), (2, "master", None, True)]


def test_rejoin_crashed_primary(harness, registered_pair):
    primary, standby = registered_pair
    primary.kill9()
    r = harness.repmgr("standby", "promote", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    standby.sql("CREATE TABLE after_failover (v text)")

    r = harness.repmgr("node", "rejoin", "-d", standby.conninfo(), conf=primary.conf)
    assert r.returncode == 24, r.stderr
    assert "not shut down cleanly" in r.stderr

    r = harness.repmgr("node", "rejoin", "-d", standby.conninfo(), "--force-rewind",
                       conf=primary.conf)
    assert r.returncode == 0, r.stderr
    assert streams_from(standby, "node1")
    wait_until(lambda: primary.sql_one(
        "SELECT count(*) FROM pg_class WHERE relname = 'after_failover'") == 1)


def test_rejoin_diverged_standby(harness, registered_pair):
    """A standby that received WAL the new primary never had is rewound."""
    primary, s1 = registered_pair
    s2 = harness.standby_of(primary, "node3")
    s2.write_repmgr_conf(3)
    assert harness.repmgr("standby", "register", conf=s2.conf).returncode == 0
    s1.stop("fast")
    primary.sql("CREATE TABLE only_old (v text)")
    primary.sql("INSERT INTO only_old VALUES ('lost')")
    wait_until(lambda: s2.sql_one("SELECT count(*) FROM pg_class WHERE relname = 'only_old'") == 1)
    primary.kill9()
    s1.start()
    assert harness.repmgr("standby", "promote", conf=s1.conf).returncode == 0
    s2.stop("fast")
    r = harness.repmgr("node", "rejoin", "-d", s1.conninfo(), "--force-rewind", conf=s2.conf)
    assert r.returncode == 0, r.stderr
    assert streams_from(s1, "node3")
    assert s2.sql_one("SELECT count(*) FROM pg_class WHERE relname = 'only_old'") == 0
    assert nodes(s1)[2] == (3, "standby", 2, True)
