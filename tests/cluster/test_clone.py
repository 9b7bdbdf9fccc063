"""standby clone on real servers: pg_basebackup and rsync modes, slots,
cascading, external configuration files, and every refusal."""

import os

import pytest

from pylib.clone_nodes import external_primary, new_node, registered_primary
from pylib.harness import PG_BIN, run_as_user
from pylib.queries import WITH_DETAILS, events
from pylib.wait import wait_until


def clone(harness, source, node, *extra, datadir=None):
    return harness.repmgr(*source.conn_args(), "-D", datadir or node.datadir, *extra,
                          "standby", "clone", conf=node.conf)


def streaming_names(node):
    return [r[0] for r in node.sql(
        "SELECT application_name FROM pg_stat_replication WHERE state = 'streaming'")]


def start_clone(node):
    """The seed's step after cloning: set this node's own port, then start."""
    node.set_port()
    node.start()
    return node


def test_seed_clone_walkthrough(harness):
    primary = registered_primary(harness)
    primary.sql("CREATE TABLE t (x int)", dbname="repmgr")
    primary.sql("INSERT INTO t SELECT generate_series(1, 100)", dbname="repmgr")
    node2 = new_node(harness, "node2", 2)
    given = node2.datadir + "/"
    # The walk-through clones without -c: a spread checkpoint then takes as long
    # as writing every dirty buffer at its pace; start from a clean buffer pool.
    primary.sql("CHECKPOINT")

    r = clone(harness, primary, node2, datadir=given)
    assert r.returncode == 0, r.stderr
    err = r.stderr
    assert f"[NOTICE] destination directory '{given}' provided" in err
    assert "[NOTICE] starting backup..." in err
    assert "this may take some time; consider using the -c/--fast-checkpoint option" in err
    assert "[NOTICE] standby clone (using pg_basebackup) complete" in err
    assert "[NOTICE] you can now start your PostgreSQL server" in err
    assert f"for example : pg_ctl -D {given} start" in err

    assert os.path.exists(os.path.join(node2.datadir, "standby.signal"))
    with open(os.path.join(node2.datadir, "postgresql.auto.conf")) as f:
        auto = f.read()
    assert "application_name=node2" in auto.replace("'", "")
    assert "dbname" not in auto

    start_clone(node2)
    wait_until(lambda: "node2" in streaming_names(primary), what="node2 streaming")
    assert node2.sql_one("SELECT count(*) FROM t", dbname="repmgr") == 100

    r = harness.repmgr("standby", "register", conf=node2.conf)
    assert r.returncode == 0, r.stderr
    assert primary.sql("SELECT id, type, upstream_node_id FROM repmgr_test.repl_nodes "
                       "ORDER BY id", dbname="repmgr") == [(1, "master", None),
                                                           (2, "standby", 1)]
    clones = events(primary, "standby_clone", WITH_DETAILS)
    assert len(clones) == 1 and clones[0][0] == 2 and clones[0][1] is True
    assert "pg_basebackup" in clones[0][2]


def test_fast_checkpoint_conninfo_and_basebackup_options(harness):
    primary = registered_primary(harness)
    node2 = new_node(harness, "node2", 2,
                     extra={"pg_basebackup_options": "'--label=repmgr_test_label'",
                            "restore_command": "'cp /nonexistent/%f %p'",
                            "recovery_min_apply_delay": "'10ms'"})
    r = harness.repmgr("-d", f"host=127.0.0.1 port={primary.port} user=repmgr dbname=repmgr",
                       "-D", node2.datadir, "-c", "standby", "clone", conf=node2.conf)
    assert r.returncode == 0, r.stderr
    assert "fast-checkpoint option" not in r.stderr
    with open(os.path.join(node2.datadir, "backup_label")) as f:
        assert "LABEL: repmgr_test_label" in f.read()
    with open(os.path.join(node2.datadir, "postgresql.auto.conf")) as f:
        auto = f.read()
    assert "restore_command = 'cp /nonexistent/%f %p'" in auto
    assert "recovery_min_apply_delay = '10ms'" in auto
    start_clone(node2)
    wait_until(lambda: "node2" in streaming_names(primary), what="node2 streaming")


def test_clone_without_repmgr_conf(harness):
    """repmgr.conf is optional: then no application_name is set."""
    primary = harness.primary("node1")
    node2 = harness.node("node2")
    os.makedirs(node2.confdir, exist_ok=True)
    harness.chown(node2.confdir)
    r = run_as_user([os.path.join(harness.prefix, "bin", "repmgr"), *primary.conn_args(),
                     "-D", node2.datadir, "-b", PG_BIN, "-c", "standby", "clone"], check=False,
                    env={"HOME": node2.confdir})
    assert r.returncode == 0, r.stderr
    start_clone(node2)
    wait_until(lambda: len(streaming_names(primary)) == 1, what="a standby streaming")


def test_replication_slot_lifecycle(harness):
    primary = registered_primary(harness)
    node2 = new_node(harness, "node2", 2, extra={"use_replication_slots": "1"})
    r = clone(harness, primary, node2, "-c")
    assert r.returncode == 0, r.stderr
    assert primary.sql_one("SELECT count(*) FROM pg_replication_slots "
                           "WHERE slot_name = 'repmgr_slot_2'") == 1
    with open(os.path.join(node2.datadir, "postgresql.auto.conf")) as f:
        assert "primary_slot_name = 'repmgr_slot_2'" in f.read()
    start_clone(node2)
    wait_until(lambda: primary.sql_one("SELECT active FROM pg_replication_slots "
                                       "WHERE slot_name = 'repmgr_slot_2'"),
               what="slot in use")
    r = harness.repmgr("standby", "register", conf=node2.conf)
    assert r.returncode == 0, r.stderr
    assert primary.sql_one("SELECT slot_name FROM repmgr_test.repl_nodes WHERE id = 2",
                           dbname="repmgr") == "repmgr_slot_2"
    node2.stop()
    r = harness.repmgr("standby", "unregister", "--node-id", "2", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    wait_until(lambda: primary.sql_one("SELECT count(*) FROM pg_replication_slots") == 0,
               what="slot dropped")


def test_cascading_clone_from_standby(harness, registered_pair):
    primary, node2 = registered_pair
    node3 = new_node(harness, "node3", 3)
    r = clone(harness, node2, node3, "-c", "--upstream-node-id", "2")
    assert r.returncode == 0, r.stderr
    start_clone(node3)
    wait_until(lambda: "node3" in streaming_names(node2), what="node3 streaming from node2")
    assert "node3" not in streaming_names(primary)
    r = harness.repmgr("standby", "register", "--upstream-node-id", "2", conf=node3.conf)
    assert r.returncode == 0, r.stderr
    assert primary.sql_one("SELECT upstream_node_id FROM repmgr_test.repl_nodes WHERE id = 3",
                           dbname="repmgr") == 2
    # the event went to the primary although the clone came from a standby
    assert [e[0] for e in events(primary, "standby_clone", WITH_DETAILS)] == [3]


def test_cascading_clone_from_primary_streams_from_standby(harness, registered_pair):
    primary, node2 = registered_pair
    node3 = new_node(harness, "node3", 3, extra={"use_replication_slots": "1"})
    r = clone(harness, primary, node3, "-c", "--upstream-node-id", "2")
    assert r.returncode == 0, r.stderr
    # the slot lives on the upstream (node2), not on the server copied from
    assert node2.sql_one("SELECT count(*) FROM pg_replication_slots "
                         "WHERE slot_name = 'repmgr_slot_3'") == 1
    assert primary.sql_one("SELECT count(*) FROM pg_replication_slots") == 0
    start_clone(node3)
    wait_until(lambda: "node3" in streaming_names(node2), what="node3 streaming from node2")


@pytest.mark.ssh
def test_rsync_clone_and_resync(harness, sshd):
    primary = registered_primary(harness)
    primary.sql("CREATE TABLE t (x int)", dbname="repmgr")
    primary.sql("INSERT INTO t SELECT generate_series(1, 1000)", dbname="repmgr")
    extra = {"ssh_options": f"'{sshd.ssh_options()}'",
             "rsync_options": "'--exclude=postgresql.local.conf'",
             "use_replication_slots": "1"}
    node2 = new_node(harness, "node2", 2, extra=extra)
    r = clone(harness, primary, node2, "-r", "-c")
    assert r.returncode == 0, r.stderr
    assert "[NOTICE] standby clone (using rsync) complete" in r.stderr
    for name in ("backup_label", "standby.signal", "global/pg_control"):
        assert os.path.exists(os.path.join(node2.datadir, name)), name
    assert not os.path.exists(os.path.join(node2.datadir, "postmaster.pid"))
    start_clone(node2)
    wait_until(lambda: "node2" in streaming_names(primary), what="node2 streaming")
    assert node2.sql_one("SELECT count(*) FROM t", dbname="repmgr") == 1000

    # The seed's use case: resync a stopped standby's directory in place.
    node2.stop()
    local_conf = os.path.join(node2.datadir, "postgresql.local.conf")
    harness.write_file(local_conf, "# kept by rsync_options\n")
    primary.sql("INSERT INTO t SELECT generate_series(1, 500)", dbname="repmgr")
    r = clone(harness, primary, node2, "-r", "-c")
    assert r.returncode == 1 and "is not empty" in r.stderr
    r = clone(harness, primary, node2, "-r", "-c", "-F")
    assert r.returncode == 0, r.stderr
    assert os.path.exists(local_conf)
    start_clone(node2)
    wait_until(lambda: "node2" in streaming_names(primary), what="node2 streaming again")
    wait_until(lambda: node2.sql_one("SELECT count(*) FROM t", dbname="repmgr") == 1500,
               what="resynced rows")


@pytest.mark.ssh
def test_rsync_clone_from_standby(harness, registered_pair, sshd):
    primary, node2 = registered_pair
    node3 = new_node(harness, "node3", 3, extra={"ssh_options": f"'{sshd.ssh_options()}'"})
    r = clone(harness, node2, node3, "-r", "-c", "--upstream-node-id", "2")
    assert r.returncode == 0, r.stderr
    with open(os.path.join(node3.datadir, "backup_label")) as f:
        assert "BACKUP FROM: standby" in f.read()
    start_clone(node3)
    wait_until(lambda: "node3" in streaming_names(node2), what="node3 streaming from node2")
    primary.sql("CREATE TABLE after_clone (x int)", dbname="repmgr")
    wait_until(lambda: node3.sql_one("SELECT to_regclass('after_clone') IS NOT NULL",
                                     dbname="repmgr"), what="node3 replaying")


@pytest.mark.ssh
def test_rsync_refuses_when_ssh_fails(harness, sshd):
    primary = registered_primary(harness)
    bad = sshd.ssh_options().replace(f"-p {sshd.port}", "-p 1")
    node2 = new_node(harness, "node2", 2, extra={"ssh_options": f"'{bad}'"})
    r = clone(harness, primary, node2, "-r")
    assert r.returncode == 12, r.stderr
    assert not os.path.exists(node2.datadir)


def test_external_config_files(harness):
    primary, etc = external_primary(harness)

    node2 = new_node(harness, "node2", 2)
    r = clone(harness, primary, node2, "-c")
    assert r.returncode == 0, r.stderr
    with open(os.path.join(node2.datadir, "postgresql.conf")) as f:
        conf = f.read()
    assert "# external marker" in conf
    assert f"#hba_file = '{etc}/pg_hba.conf'" in conf  # the copy is used, not the source's
    with open(os.path.join(etc, "pg_hba.conf")) as a, \
            open(os.path.join(node2.datadir, "pg_hba.conf")) as b:
        assert a.read() == b.read()
    start_clone(node2)
    wait_until(lambda: "node2" in streaming_names(primary), what="node2 streaming")

    node3 = new_node(harness, "node3", 3)
    r = clone(harness, primary, node3, "-c", "--ignore-external-config-files")
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(os.path.join(node3.datadir, "postgresql.conf"))
    assert not os.path.exists(os.path.join(node3.datadir, "pg_hba.conf"))


def test_non_empty_target_is_refused_and_untouched(harness):
    primary = registered_primary(harness)
    node2 = new_node(harness, "node2", 2)
    os.makedirs(node2.datadir)
    harness.chown(node2.datadir)
    precious = harness.write_file(os.path.join(node2.datadir, "precious.txt"), "keep me\n")
    for extra in ([], ["--dry-run"], ["-r"]):
        r = clone(harness, primary, node2, *extra)
        assert r.returncode == 1, r.stderr
        assert "is not empty" in r.stderr
        assert os.listdir(node2.datadir) == ["precious.txt"]
        with open(precious) as f:
            assert f.read() == "keep me\n"
    # -F replaces the contents with a fresh clone
    r = clone(harness, primary, node2, "-F", "-c")
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(precious)
    start_clone(node2)
    # ... but never over a running server, even with -F
    r = clone(harness, primary, node2, "-F", "-c")
    assert r.returncode == 1 and "running" in r.stderr
    assert node2.running()


def test_dry_run_changes_nothing(harness):
    primary = registered_primary(harness)
    node2 = new_node(harness, "node2", 2, extra={"use_replication_slots": "1"})
    r = clone(harness, primary, node2, "--dry-run")
    assert r.returncode == 0, r.stderr
    assert "[dry run]" in r.stderr
    assert not os.path.exists(node2.datadir)
    assert primary.sql_one("SELECT count(*) FROM pg_replication_slots") == 0
    assert events(primary, "standby_clone", WITH_DETAILS) == []


def test_failed_copy_removes_only_what_it_created(harness):
    primary = registered_primary(harness)
    node2 = new_node(harness, "node2", 2, extra={"use_replication_slots": "1",
                                                 "pg_basebackup_options": "'--no-such-option'"})
    nested = os.path.join(node2.confdir, "new", "data")
    r = clone(harness, primary, node2, datadir=nested)
    assert r.returncode == 14, r.stderr
    assert not os.path.exists(os.path.join(node2.confdir, "new"))
    assert primary.sql_one("SELECT count(*) FROM pg_replication_slots") == 0
    # an existing empty directory stays, empty
    os.makedirs(node2.datadir)
    harness.chown(node2.datadir)
    r = clone(harness, primary, node2)
    assert r.returncode == 14, r.stderr
    assert os.listdir(node2.datadir) == []
    assert [e[1] for e in events(primary, "standby_clone", WITH_DETAILS)] == [False, False]


def test_unreachable_source(harness):
    primary = registered_primary(harness)
    node2 = new_node(harness, "node2", 2)
    primary.stop()
    r = clone(harness, primary, node2)
    assert r.returncode == 6, r.stderr
    assert not os.path.exists(node2.datadir)


def restart_with(node, **settings):
    for key, value in settings.items():
        node.sql(f"ALTER SYSTEM SET {key} = '{value}'")
    node.stop()
    node.start()


def test_upstream_checks(harness):
    primary = registered_primary(harness)
    node2 = new_node(harness, "node2", 2, extra={"use_replication_slots": "1"})

    restart_with(primary, max_wal_senders=1)
    r = clone(harness, primary, node2)
    assert r.returncode == 1 and "free WAL sender" in r.stderr, r.stderr
    assert "[HINT] raise max_wal_senders" in r.stderr

    restart_with(primary, max_wal_senders=10, max_replication_slots=0)
    r = clone(harness, primary, node2)
    assert r.returncode == 1 and "no free replication slot" in r.stderr, r.stderr

    restart_with(primary, max_replication_slots=10)
    hba = os.path.join(primary.datadir, "pg_hba.conf")
    with open(hba, "w") as f:
        f.write("local all all trust\nhost all all 127.0.0.1/32 trust\n")
    primary.sql("SELECT pg_reload_conf()")
    r = clone(harness, primary, node2)
    assert r.returncode == 14, r.stderr
    assert "does not accept replication connections" in r.stderr

    restart_with(primary, wal_level="minimal", max_wal_senders=0)
    r = clone(harness, primary, node2)
    assert r.returncode == 1 and "wal_level" in r.stderr, r.stderr
    assert not os.path.exists(node2.datadir)
