"""Each node's repmgr.conf path, recorded at registration
(repl_nodes.config_file, schema 6) and used as -f of the commands run on that
node over ssh (switchover's rejoin of the old primary, siblings following)."""

import os

import pytest

from pylib.conf import ssh_extra
from pylib.queries import SCHEMA, events, nodes, streams_from
from pylib.wait import wait_until


def recorded_paths(node):
    return dict(node.sql(f"SELECT id, config_file FROM {SCHEMA}.repl_nodes ORDER BY id",
                         dbname="repmgr"))


def move_conf(harness, node, relpath):
    """Moves node's repmgr.conf to <node dir>/<relpath>; returns the new path."""
    new = os.path.join(node.confdir, relpath)
    os.makedirs(os.path.dirname(new), exist_ok=True)
    harness.chown(os.path.dirname(new))
    os.rename(node.conf, new)
    node.conf = new
    return new


def repmgr_in(harness, cwd, *args):
    """Runs repmgr as the unprivileged user from directory `cwd`."""
    from pylib.harness import run_as_user
    return run_as_user(["env", "-C", cwd, os.path.join(harness.prefix, "bin", "repmgr")]
                       + list(args), check=False)


@pytest.mark.ssh
def test_switchover_uses_each_nodes_own_config_path(harness, sshd):
    # No remote_config_file: every node's path is different, and only the
    # metadata knows them.
    extra = ssh_extra(harness, sshd)
    del extra["remote_config_file"]
    n1 = harness.primary("node1")
    n1.write_repmgr_conf(1, extra=extra)
    assert harness.repmgr("primary", "register", conf=n1.conf).returncode == 0
    n2 = harness.standby_of(n1, "node2")
    n2.write_repmgr_conf(2, extra=extra)
    move_conf(harness, n2, "conf/other-name.conf")
    # registered through a relative -f: the recorded path must be absolute
    r = repmgr_in(harness, n2.confdir, "-f", "conf/other-name.conf", "standby", "register")
    assert r.returncode == 0, r.stderr
    n3 = harness.standby_of(n1, "node3")
    n3.write_repmgr_conf(3, extra=extra)
    move_conf(harness, n3, "etc/n3.conf")
    r = harness.repmgr("standby", "register", conf=n3.conf)
    assert r.returncode == 0, r.stderr
    assert recorded_paths(n1) == {1: n1.conf, 2: n2.conf, 3: n3.conf}

    r = harness.repmgr("standby", "switchover", "--siblings-follow", "--dry-run", conf=n2.conf)
    assert r.returncode == 0, r.stderr
    assert n1.conf in r.stderr, r.stderr  # the rejoin command shown uses node1's file

    r = harness.repmgr("standby", "switchover", "--siblings-follow", conf=n2.conf)
    assert r.returncode == 0, r.stderr + r.stdout
    assert not n2.in_recovery()
    assert n1.in_recovery() and n3.in_recovery()
    assert streams_from(n2, "node1")
    wait_until(lambda: streams_from(n2, "node3"), what="node3 streaming from node2")
    assert nodes(n2) == [(1, "standby", 2, True), (2, "master", None, True),
                         (3, "standby", 2, True)]
    assert (1, True) in events(n2, "node_rejoin")
    assert (3, True) in events(n2, "standby_follow")

    # remote_config_file still overrides the recorded paths: a wrong pattern
    # makes the switchover back refuse before it changes anything
    extra_override = dict(extra, remote_config_file=f"'{harness.base}/%a/missing.conf'")
    conf_text = open(n1.conf).read()
    n1.write_repmgr_conf(1, extra=extra_override)
    r = harness.repmgr("standby", "switchover", conf=n1.conf)
    assert r.returncode == 1, r.stderr
    assert "missing.conf" in r.stderr
    assert not n2.in_recovery() and n1.in_recovery()
    with open(n1.conf, "w") as f:
        f.write(conf_text)


def test_reregistering_with_force_updates_the_path(harness, registered_pair):
    n1, n2 = registered_pair
    assert recorded_paths(n1) == {1: n1.conf, 2: n2.conf}
    old = n2.conf
    move_conf(harness, n2, "moved/repmgr-2.conf")
    r = harness.repmgr("standby", "register", conf=n2.conf)
    assert r.returncode == 1, r.stderr
    assert "config_file=" + old in r.stderr
    assert recorded_paths(n1)[2] == old
    r = harness.repmgr("standby", "register", "--force", conf=n2.conf)
    assert r.returncode == 0, r.stderr
    assert recorded_paths(n1)[2] == n2.conf
    wait_until(lambda: recorded_paths(n2)[2] == n2.conf, what="record replicated to node2")


def test_schema_upgraded_in_place_records_paths(harness, registered_pair):
    """Metadata written by a version before schema 6: reading works, a standby
    register says how to upgrade, re-running primary register upgrades, and the
    paths are then recorded without -F."""
    n1, n2 = registered_pair
    n1.sql(f"ALTER TABLE {SCHEMA}.repl_nodes DROP COLUMN config_file", dbname="repmgr")
    n1.sql(f"DELETE FROM {SCHEMA}.repl_schema_version WHERE version >= 6", dbname="repmgr")
    r = harness.repmgr("cluster", "show", conf=n2.conf)
    assert r.returncode == 0, r.stderr
    r = harness.repmgr("standby", "register", "--force", conf=n2.conf)
    assert r.returncode == 0, r.stderr
    assert "predates schema version 6" in r.stderr

    r = harness.repmgr("primary", "register", conf=n1.conf)
    assert r.returncode == 0, r.stderr
    assert n1.sql_one(f"SELECT max(version) FROM {SCHEMA}.repl_schema_version",
                      dbname="repmgr") == 9
    assert recorded_paths(n1) == {1: n1.conf, 2: None}
    r = harness.repmgr("standby", "register", conf=n2.conf)
    assert r.returncode == 0, r.stderr
    assert recorded_paths(n1) == {1: n1.conf, 2: n2.conf}
