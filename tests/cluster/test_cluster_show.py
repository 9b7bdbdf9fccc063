"""cluster show on real servers: every status the seed knows, CSV and JSON
output, awkward node names, and a node that accepts TCP but never answers."""

import csv
import io
import json
import time

import pytest

from pylib.wait import wait_until
from pylib.net import BlackHole

HEADER = ["ID", "Name", "Role", "Status", "Upstream", "Location", "Priority",
          "Connection string"]


def table(stdout):
    lines = stdout.splitlines()
    assert [h.strip() for h in lines[0].split("|")] == HEADER, lines[0]
    rows = {}
    for line in lines[2:]:
        cells = [c.strip() for c in line.split("|")]
        rows[int(cells[0])] = cells
    return rows


def test_all_running(harness, registered_pair):
    primary, standby = registered_pair
    r = harness.repmgr("cluster", "show", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    rows = table(r.stdout)
    assert rows[1][1:5] == ["node1", "primary", "* running", ""]
    assert rows[2][1:5] == ["node2", "standby", "* running", "node1"]
    assert rows[1][6] == "100" and rows[1][7] == primary.conninfo()
    assert r.stderr == ""


def test_csv_and_json(harness, registered_pair):
    primary, standby = registered_pair
    r = harness.repmgr("cluster", "show", "--csv", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows[0] == HEADER
    assert rows[1][:5] == ["1", "node1", "primary", "* running", ""]
    assert rows[2][:5] == ["2", "node2", "standby", "* running", "node1"]
    assert rows[2][7] == standby.conninfo()

    r = harness.repmgr("cluster", "show", "--json", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    nodes = json.loads(r.stdout)
    assert [(n["id"], n["name"], n["role"], n["type"], n["status"], n["upstream"], n["active"],
             n["reachable"]) for n in nodes] == [
        (1, "node1", "primary", "master", "* running", "", True, True),
        (2, "node2", "standby", "standby", "* running", "node1", True, True)]


def test_standby_promoted_by_hand(harness, registered_pair):
    primary, standby = registered_pair
    standby.sql("SELECT pg_promote()")
    wait_until(lambda: not standby.in_recovery(), timeout=30, what="promotion")
    r = harness.repmgr("cluster", "show", conf=primary.conf)
    assert r.returncode == 25, r.stdout + r.stderr
    rows = table(r.stdout)
    assert rows[1][3] == "* running"
    assert rows[2][3] == "! running as primary"
    assert "[WARNING]" in r.stderr
    assert 'node "node2" (ID: 2) is registered as standby but is running as a primary' in r.stderr


def test_unreachable_node(harness, registered_pair):
    primary, standby = registered_pair
    standby.stop()
    r = harness.repmgr("cluster", "show", conf=primary.conf)
    assert r.returncode == 25, r.stdout + r.stderr
    rows = table(r.stdout)
    assert rows[1][3] == "* running"
    assert rows[2][3] == "? unreachable"
    assert 'unable to connect to node "node2" (ID: 2)' in r.stderr
    # --csv stays machine-readable: same status, nothing else on stdout
    r = harness.repmgr("cluster", "show", "--csv", conf=primary.conf)
    assert r.returncode == 25
    assert list(csv.reader(io.StringIO(r.stdout)))[2][3] == "? unreachable"


def test_inactive_stopped_node_is_failed(harness, registered_pair):
    primary, standby = registered_pair
    standby.stop()
    primary.sql("UPDATE repmgr_test.repl_nodes SET active = false WHERE id = 2", dbname="repmgr")
    r = harness.repmgr("cluster", "show", conf=primary.conf)
    assert r.returncode == 0, r.stdout + r.stderr
    assert table(r.stdout)[2][3] == "- failed"


def test_local_node_down_reads_metadata_through_another_node(harness, registered_pair):
    primary, standby = registered_pair
    standby.stop()
    r = harness.repmgr("cluster", "show", conf=standby.conf)
    assert r.returncode == 6, r.stderr
    r = harness.repmgr(*primary.conn_args(), "cluster", "show", conf=standby.conf)
    assert r.returncode == 25, r.stdout + r.stderr
    assert table(r.stdout)[2][3] == "? unreachable"


def test_awkward_node_names(harness):
    name = 'n2, "quoted"; it\'s | $(x)'
    primary = harness.primary("node1")
    primary.write_repmgr_conf(1)
    assert harness.repmgr("primary", "register", conf=primary.conf).returncode == 0
    standby = harness.standby_of(primary, "node2")
    conf_value = "'" + name.replace("\\", "\\\\").replace("'", "\\'") + "'"
    standby.write_repmgr_conf(2, extra={"node_name": conf_value})
    r = harness.repmgr("standby", "register", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    r = harness.repmgr("cluster", "show", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    assert name in r.stdout
    r = harness.repmgr("cluster", "show", "--csv", conf=primary.conf)
    assert list(csv.reader(io.StringIO(r.stdout)))[2][1] == name
    r = harness.repmgr("cluster", "show", "--json", conf=primary.conf)
    assert json.loads(r.stdout)[1]["name"] == name
    r = harness.repmgr("cluster", "event", "--csv", "--node-id=2", conf=primary.conf)
    assert list(csv.reader(io.StringIO(r.stdout)))[1][1] == name


@pytest.fixture
def black_hole():
    bh = BlackHole()
    yield bh
    bh.close()


def test_black_hole_node_does_not_hang(harness, registered_pair, black_hole):
    primary, standby = registered_pair
    for node_id in (3, 4):
        primary.sql(
            "INSERT INTO repmgr_test.repl_nodes (id, type, upstream_node_id, cluster, name, "
            "conninfo, priority, active) VALUES (%s, 'standby', 1, 'test', %s, %s, 100, true)",
            (node_id, f"blackhole{node_id}",
             f"host=127.0.0.1 port={black_hole.port} user=repmgr dbname=repmgr "
             "connect_timeout=2"),
            dbname="repmgr")
    started = time.monotonic()
    r = harness.repmgr("cluster", "show", conf=primary.conf, timeout=120)
    elapsed = time.monotonic() - started
    assert r.returncode == 25, r.stdout + r.stderr
    rows = table(r.stdout)
    assert rows[1][3] == "* running" and rows[2][3] == "* running"
    assert rows[3][3] == "? unreachable" and rows[4][3] == "? unreachable"
    assert black_hole.held, "the probe never reached the black hole"
    assert elapsed < 20, f"cluster show hung for {elapsed:.1f}s"  # hang guard, not a benchmark


def test_black_hole_own_node_fails_with_exit_6(harness, black_hole):
    # no connect_timeout in the conninfo: repmgr must add one itself
    conf = harness.write_file("bh/repmgr.conf",
                              f"cluster=test\nnode=1\nnode_name=bh\nconninfo='host=127.0.0.1 "
                              f"port={black_hole.port} user=repmgr dbname=repmgr'\n")
    for args in (("cluster", "show"), ("primary", "register")):
        started = time.monotonic()
        r = harness.repmgr(*args, conf=conf, timeout=120)
        elapsed = time.monotonic() - started
        assert r.returncode == 6, f"{args}: {r.stderr}"
        assert "timeout" in r.stderr, r.stderr
        assert elapsed < 30, f"{args} hung for {elapsed:.1f}s"  # hang guard only
