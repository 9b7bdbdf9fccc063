"""Nodes for clone tests: a node with its repmgr.conf and no data directory
yet, a registered primary, and a primary whose configuration files live
outside its data directory."""

import os

from pylib.harness import PG_BIN, run_as_user


def new_node(harness, name, node_id, extra=None):
    """A node with its repmgr.conf but no data directory yet."""
    n = harness.node(name)
    os.makedirs(n.confdir, exist_ok=True)
    harness.chown(n.confdir)
    n.write_repmgr_conf(node_id, extra=extra)
    return n


def registered_primary(harness, extra=None):
    primary = harness.primary("node1")
    primary.write_repmgr_conf(1, extra=extra)
    r = harness.repmgr("primary", "register", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    return primary


def external_primary(harness):
    """A primary whose postgresql.conf and pg_hba.conf live outside its data directory."""
    primary = harness.node("node1").init_from_template()
    etc = os.path.join(primary.confdir, "etc")
    os.makedirs(etc)
    harness.chown(etc)
    for name in ("postgresql.conf", "pg_hba.conf"):
        os.rename(os.path.join(primary.datadir, name), os.path.join(etc, name))
    with open(os.path.join(etc, "postgresql.conf"), "a") as f:
        f.write(f"hba_file = '{etc}/pg_hba.conf'\n# external marker\n")
    run_as_user([f"{PG_BIN}/pg_ctl", "-D", primary.datadir, "-l", primary.logfile, "-w",
                 "-o", f"-c config_file={etc}/postgresql.conf", "start"])
    primary.create_repmgr_user()
    return primary, etc
