"""Node names and passwords holding quotes and backslashes survive the two
quoting layers of primary_conninfo (libpq's conninfo, then the GUC file's in
postgresql.auto.conf): after clone, follow and rejoin the standby streams
under its exact name and authenticates with the exact password."""

import os

import psycopg
from psycopg import sql

from pylib.conf import conf_quote
from pylib.wait import wait_until

# ' and \ in every position that has gone wrong before: a \' pair, a trailing
# backslash (it would escape the closing quote), a doubled backslash.
PASSWORD = "pa'ss\\w \\'rd\\\\x\\"
NAMES = {1: "n1 'old' \\", 2: "n2\\'s \\\\", 3: "n3 \\n'"}
SCHEMA = "repmgr_test"

HBA = """local all all trust
local replication all trust
host all repmgr 127.0.0.1/32 scram-sha-256
host replication repmgr 127.0.0.1/32 scram-sha-256
host all all 127.0.0.1/32 trust
host replication all 127.0.0.1/32 trust
"""


def libpq_quote(value):
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def conninfo(node, password=PASSWORD):
    return (f"host=127.0.0.1 port={node.port} user=repmgr dbname=repmgr "
            f"password={libpq_quote(password)}")


def configure(harness, node, node_id):
    os.makedirs(node.confdir, exist_ok=True)
    harness.chown(node.confdir)
    node.write_repmgr_conf(node_id, extra={"node_name": conf_quote(NAMES[node_id]),
                                           "conninfo": conf_quote(conninfo(node))})


def clone(harness, source, node):
    return harness.repmgr("-h", "127.0.0.1", "-p", str(source.port), "-U", "repmgr",
                          "-d", f"dbname=repmgr password={libpq_quote(PASSWORD)}",
                          "-D", node.datadir, "-c", "standby", "clone", conf=node.conf)


def streams_as(upstream, node_id):
    return upstream.sql_one("SELECT count(*) FROM pg_stat_replication "
                            "WHERE application_name = %s AND state = 'streaming'",
                            (NAMES[node_id],)) == 1


def check_primary_conninfo(node, node_id, upstream):
    """What PostgreSQL itself read from postgresql.auto.conf, not our reader."""
    value = node.sql_one("SHOW primary_conninfo")
    params = psycopg.conninfo.conninfo_to_dict(value)
    assert params["password"] == PASSWORD, value
    assert params["application_name"] == NAMES[node_id], value
    assert params["port"] == str(upstream.port), value


def test_clone_follow_rejoin_with_quotes_and_backslashes(harness):
    primary = harness.primary("node1")
    primary.sql(sql.SQL("ALTER USER repmgr PASSWORD {}").format(sql.Literal(PASSWORD)))
    with open(os.path.join(primary.datadir, "pg_hba.conf"), "w") as f:
        f.write(HBA)
    primary.sql("SELECT pg_reload_conf()")
    # the password is really checked: a wrong one is refused
    wait_until(lambda: refused(conninfo(primary, "wrong")), what="password authentication")
    assert not refused(conninfo(primary))

    configure(harness, primary, 1)
    r = harness.repmgr("primary", "register", conf=primary.conf)
    assert r.returncode == 0, r.stderr

    standbys = {}
    for node_id in (2, 3):
        node = harness.node(f"node{node_id}")
        configure(harness, node, node_id)
        r = clone(harness, primary, node)
        assert r.returncode == 0, r.stderr
        node.set_port()  # the clone copied the primary's port
        node.start()
        r = harness.repmgr("standby", "register", conf=node.conf)
        assert r.returncode == 0, r.stderr
        wait_until(lambda: streams_as(primary, node_id), what=f"node{node_id} to stream")
        check_primary_conninfo(node, node_id, primary)
        standbys[node_id] = node
    s2, s3 = standbys[2], standbys[3]

    primary.stop("fast")
    r = harness.repmgr("standby", "promote", conf=s3.conf)
    assert r.returncode == 0, r.stderr
    r = harness.repmgr("standby", "follow", conf=s2.conf)
    assert r.returncode == 0, r.stderr
    wait_until(lambda: streams_as(s3, 2), what="node2 to stream from node3")
    check_primary_conninfo(s2, 2, s3)

    r = harness.repmgr("node", "rejoin", "-d", conninfo(s3), conf=primary.conf)
    assert r.returncode == 0, r.stderr
    wait_until(lambda: streams_as(s3, 1), what="node1 to stream from node3")
    check_primary_conninfo(primary, 1, s3)
    assert primary.in_recovery()
    names = s3.sql(f"SELECT name FROM {SCHEMA}.repl_nodes ORDER BY id", dbname="repmgr")
    assert [n[0] for n in names] == [NAMES[1], NAMES[2], NAMES[3]]


def refused(dsn):
    try:
        psycopg.connect(dsn, connect_timeout=5).close()
        return False
    except psycopg.OperationalError:
        return True
