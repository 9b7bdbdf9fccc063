"""A repmgr 5 user's repmgr.conf works unchanged: no "cluster" key, repmgr 5's
key names and quoting, the runbook's commands."""

import os

from pylib.harness import PG_BIN


def write_repmgr5_conf(node, node_id):
    """repmgr.conf as repmgr 5's documentation writes it."""
    path = os.path.join(node.confdir, "repmgr.conf")
    with open(path, "w") as f:
        f.write(f"node_id={node_id}\n"
                f"node_name='{node.name}'\n"
                f"conninfo='{node.conninfo()}'\n"
                f"data_directory='{node.datadir}'\n"
                f"pg_bindir='{PG_BIN}'\n"
                f"log_file='{os.path.join(node.confdir, 'repmgr.log')}'\n"
                "failover='automatic'\n"
                "promote_command='repmgr standby promote -f /etc/repmgr.conf --log-to-file'\n"
                "follow_command='repmgr standby follow -f /etc/repmgr.conf --log-to-file "
                "--upstream-node-id=%n'\n")
    node.harness.chown(path)
    node.conf = path
    return path


def test_repmgr5_conf_without_cluster_registers_and_shows(harness):
    primary = harness.primary("node1")
    write_repmgr5_conf(primary, 1)
    r = harness.repmgr("primary", "register", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    standby = harness.standby_of(primary, "node2")
    write_repmgr5_conf(standby, 2)
    r = harness.repmgr("standby", "register", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    # The metadata of the default cluster.
    assert primary.sql_one("SELECT count(*) FROM repmgr_default.repl_nodes",
                           dbname="repmgr") == 2
    r = harness.repmgr("cluster", "show", conf=standby.conf)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "node1" in r.stdout and "node2" in r.stdout and "* running" in r.stdout
