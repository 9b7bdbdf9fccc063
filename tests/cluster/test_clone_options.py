"""standby clone's repmgr 5 options: --replication-conf-only,
--copy-external-config-files[=samepath|pgdata], --upstream-conninfo,
--replication-user, --recovery-min-apply-delay."""

import os

from pylib.clone_nodes import external_primary, new_node, registered_primary
from pylib.harness import PG_BIN, run_as_user
from pylib.queries import WITH_DETAILS, events
from pylib.wait import wait_until


def auto_conf(node):
    with open(os.path.join(node.datadir, "postgresql.auto.conf")) as f:
        return f.read()


def streams(primary):
    return primary.sql("SELECT application_name, usename FROM pg_stat_replication "
                       "WHERE state = 'streaming'")


def test_replication_conf_only(harness):
    primary = registered_primary(harness)
    node2 = new_node(harness, "node2", 2)

    # not a data directory (yet): refused, nothing written
    os.makedirs(node2.datadir, mode=0o700)
    harness.chown(node2.datadir)
    with open(os.path.join(node2.datadir, "restored.txt"), "w") as f:
        f.write("x")
    r = harness.repmgr(*primary.conn_args(), "standby", "clone", "--replication-conf-only",
                       conf=node2.conf)
    assert r.returncode == 1, r.stderr
    assert "is not a PostgreSQL data directory" in r.stderr
    assert sorted(os.listdir(node2.datadir)) == ["restored.txt"]
    os.remove(os.path.join(node2.datadir, "restored.txt"))

    # a backup tool's restore: a copy without any standby settings
    run_as_user([f"{PG_BIN}/pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port),
                 "-U", "repmgr", "-D", node2.datadir, "-X", "stream", "-c", "fast"])
    assert not os.path.exists(os.path.join(node2.datadir, "standby.signal"))
    r = harness.repmgr(*primary.conn_args(), "standby", "clone", "--replication-conf-only",
                       "--dry-run", conf=node2.conf)
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(os.path.join(node2.datadir, "standby.signal"))

    r = harness.repmgr(*primary.conn_args(), "standby", "clone", "--replication-conf-only",
                       conf=node2.conf)
    assert r.returncode == 0, r.stderr
    assert os.path.exists(os.path.join(node2.datadir, "standby.signal"))
    assert "application_name=node2" in auto_conf(node2).replace("'", "")
    node2.set_port()
    node2.start()
    wait_until(lambda: ("node2", "repmgr") in streams(primary), what="node2 streaming")
    clones = events(primary, "standby_clone", WITH_DETAILS)
    assert clones[-1][0] == 2 and clones[-1][1] and "--replication-conf-only" in clones[-1][2]

    # a running server's settings are not rewritten under it
    r = harness.repmgr(*primary.conn_args(), "standby", "clone", "--replication-conf-only",
                       conf=node2.conf)
    assert r.returncode == 1 and "is running" in r.stderr


def test_upstream_conninfo_replication_user_and_apply_delay(harness):
    primary = registered_primary(harness)
    primary.sql("CREATE ROLE streamer LOGIN REPLICATION")
    node2 = new_node(harness, "node2", 2)
    r = harness.repmgr(*primary.conn_args(), "-D", node2.datadir, "-c", "standby", "clone",
                       f"--upstream-conninfo=host=localhost port={primary.port}",
                       "--replication-user=streamer", "--recovery-min-apply-delay=5min",
                       conf=node2.conf)
    assert r.returncode == 0, r.stderr
    auto = auto_conf(node2).replace("'", "")
    assert f"host=localhost port={primary.port}" in auto
    assert "user=streamer" in auto and "application_name=node2" in auto
    assert "recovery_min_apply_delay = 5min" in auto
    node2.set_port()
    node2.start()
    wait_until(lambda: ("node2", "streamer") in streams(primary), what="node2 streaming as streamer")

    # an upstream that does not exist yet is written all the same, with a warning
    node3 = new_node(harness, "node3", 3)
    r = harness.repmgr(*primary.conn_args(), "-D", node3.datadir, "-c", "standby", "clone",
                       "--upstream-conninfo=host=127.0.0.1 port=1", conf=node3.conf)
    assert r.returncode == 0, r.stderr
    assert "[WARNING]" in r.stderr and "--upstream-conninfo" in r.stderr
    assert "host=127.0.0.1 port=1\n" in auto_conf(node3).replace("'", "")

    for bad in ("--recovery-min-apply-delay=5 minutes", "--recovery-min-apply-delay=soon",
                "--replication-user=a b"):
        node4 = new_node(harness, "node4", 4)
        r = harness.repmgr(*primary.conn_args(), "-D", node4.datadir, "standby", "clone", bad,
                           conf=node4.conf)
        assert r.returncode == 1, (bad, r.stderr)
        assert not os.path.exists(node4.datadir)


def test_copy_external_config_files(harness):
    primary, etc = external_primary(harness)

    # =pgdata: into the data directory, the settings naming the source's paths commented out
    node2 = new_node(harness, "node2", 2)
    r = harness.repmgr(*primary.conn_args(), "-D", node2.datadir, "-c", "standby", "clone",
                       "--copy-external-config-files=pgdata", conf=node2.conf)
    assert r.returncode == 0, r.stderr
    with open(os.path.join(node2.datadir, "postgresql.conf")) as f:
        assert f"#hba_file = '{etc}/pg_hba.conf'" in f.read()

    # samepath (the default value): where the source has them; on this host they
    # are that very file, so nothing is written and nothing lands in the data directory
    node3 = new_node(harness, "node3", 3)
    r = harness.repmgr(*primary.conn_args(), "-D", node3.datadir, "-c", "standby", "clone",
                       "--copy-external-config-files", conf=node3.conf)
    assert r.returncode == 0, r.stderr
    assert f'"{etc}/pg_hba.conf" is already in place' in r.stderr
    assert f'"{etc}/postgresql.conf" is already in place' in r.stderr
    assert not os.path.exists(os.path.join(node3.datadir, "postgresql.conf"))
    assert not os.path.exists(os.path.join(node3.datadir, "pg_hba.conf"))

    node4 = new_node(harness, "node4", 4)
    for bad in (["--copy-external-config-files=elsewhere"],
                ["--copy-external-config-files", "--ignore-external-config-files"]):
        r = harness.repmgr(*primary.conn_args(), "-D", node4.datadir, "standby", "clone", *bad,
                           conf=node4.conf)
        assert r.returncode == 1, (bad, r.stderr)
        assert not os.path.exists(node4.datadir)
