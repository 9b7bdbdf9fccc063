"""witness register / unregister / create on real servers."""

import os


def make_witness(harness, primary, name="witness", node_id=3):
    w = harness.node(name).init_fresh().start()
    w.create_repmgr_user()
    w.write_repmgr_conf(node_id)
    return w


def test_witness_register_copies_metadata_and_is_shown(harness, registered_pair):
    primary, standby = registered_pair
    witness = make_witness(harness, primary)
    r = harness.repmgr(*primary.conn_args(), "witness", "register", conf=witness.conf)
    assert r.returncode == 0, r.stderr
    assert "witness node correctly registered for cluster test with id 3" in r.stderr
    assert primary.sql("SELECT type, upstream_node_id FROM repmgr_test.repl_nodes WHERE id = 3",
                       dbname="repmgr") == [("witness", 1)]
    # the witness has its own full copy of the node list, and is not a replica
    assert witness.sql("SELECT id FROM repmgr_test.repl_nodes ORDER BY id",
                       dbname="repmgr") == [(1,), (2,), (3,)]
    assert witness.in_recovery() is False
    show = harness.repmgr("cluster", "show", conf=standby.conf)
    assert show.returncode == 0, show.stdout + show.stderr
    assert any("witness" in l and "* running" in l for l in show.stdout.splitlines())
    events = primary.sql("SELECT node_id, event, successful FROM repmgr_test.repl_events "
                         "WHERE event = 'witness_register'", dbname="repmgr")
    assert events == [(3, "witness_register", True)]

    # re-running is a no-op
    again = harness.repmgr(*primary.conn_args(), "witness", "register", conf=witness.conf)
    assert again.returncode == 0 and "already registered" in again.stderr

    r = harness.repmgr(*primary.conn_args(), "witness", "unregister", conf=witness.conf)
    assert r.returncode == 0, r.stderr
    assert primary.sql_one("SELECT count(*) FROM repmgr_test.repl_nodes WHERE id = 3",
                           dbname="repmgr") == 0


def test_witness_register_needs_the_primary(harness, registered_pair):
    primary, _ = registered_pair
    witness = make_witness(harness, primary)
    r = harness.repmgr("witness", "register", conf=witness.conf)
    assert r.returncode == 1
    assert "-h HOST" in r.stderr


def test_witness_refuses_a_cluster_member(harness, registered_pair):
    primary, standby = registered_pair
    # a conf whose conninfo points at the primary itself
    conf = harness.write_file("bad/repmgr.conf", "cluster=test\nnode=9\nnode_name=bad\n"
                              f"conninfo='{primary.conninfo()}'\n")
    r = harness.repmgr(*primary.conn_args(), "witness", "register", conf=conf)
    assert r.returncode == 1
    assert "separate PostgreSQL instance" in r.stderr
    assert primary.sql_one("SELECT count(*) FROM repmgr_test.repl_nodes WHERE id = 9",
                           dbname="repmgr") == 0


def test_witness_register_on_a_standby_is_refused(harness, registered_pair):
    primary, standby = registered_pair
    r = harness.repmgr(*primary.conn_args(), "witness", "register", conf=standby.conf)
    assert r.returncode == 1
    assert "in recovery" in r.stderr


def test_witness_create_initdbs_starts_and_registers(harness, registered_pair):
    primary, _ = registered_pair
    w = harness.node("witness")  # no data directory yet: witness create makes it
    os.makedirs(w.confdir, exist_ok=True)
    harness.chown(w.confdir)
    w.write_repmgr_conf(3, extra={"pg_ctl_options": f"'-l {w.logfile}'"})
    r = harness.repmgr(*primary.conn_args(), "witness", "create", conf=w.conf)
    assert r.returncode == 0, r.stderr
    assert w.running()
    assert w.sql_one("SELECT count(*) FROM repmgr_test.repl_nodes", dbname="repmgr",
                     user="repmgr") == 3
