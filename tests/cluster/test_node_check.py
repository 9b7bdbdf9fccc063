"""repmgr node status / node check on real servers: roles, replication lag,
slots, WAL archiving, downstream and upstream, Nagios output and exit codes."""

import csv
import io
import json

from pylib.wait import wait_until

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
ERR_NODE_STATUS = 25
ERR_DB_CON = 6


def nagios(harness, node, *checks):
    r = harness.repmgr("node", "check", "--nagios", *checks, conf=node.conf)
    return r.returncode, r.stdout


def replayed(primary, standby):
    """Writes on the primary and waits until the standby has replayed it."""
    lsn = primary.sql_one("SELECT pg_current_wal_lsn()::text FROM "
                          "(SELECT txid_current()) AS t")
    wait_until(lambda: standby.sql_one(
        "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,)), what="standby replay")


def test_node_status_shows_role_upstream_and_lag(registered_pair, harness):
    primary, standby = registered_pair
    replayed(primary, standby)

    r = harness.repmgr("node", "status", "--json", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    p = json.loads(r.stdout)
    assert p["server"]["role"] == "primary"
    assert p["node"]["registered_as"] == "primary"
    assert p["server"]["timeline"] == 1
    assert p["replication"] is None
    assert [d["application_name"] for d in p["downstream"]] == ["node2"]
    assert p["last_event"]["event"] == "master_register"
    assert p["archiving"]["archive_mode"] == "off"
    assert p["archiving"]["ready_count"] == 0
    assert p["issues"] == []

    r = harness.repmgr("node", "status", "--json", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["server"]["role"] == "standby"
    assert s["upstream"] == {"id": 1, "name": "node1", "reachable": True, "streaming": True}
    assert s["replication"]["lag_bytes"] == 0
    assert s["replication"]["lag_seconds"] == 0
    assert s["replication"]["wal_receiver"] == "streaming"
    assert s["server"]["timeline"] == 1
    assert s["last_event"]["event"] == "standby_register"

    r = harness.repmgr("node", "status", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    assert 'Node "node2" (ID: 2):' in r.stdout
    assert "\tRole: standby" in r.stdout
    assert '\tUpstream: "node1" (ID: 1), streaming' in r.stdout

    r = harness.repmgr("node", "status", "--csv", conf=standby.conf)
    rows = dict(list(csv.reader(io.StringIO(r.stdout)))[1:])
    assert rows["Role"] == "standby"
    assert rows["Timeline"] == "1"


def test_node_check_all_ok_on_a_healthy_pair(registered_pair, harness):
    primary, standby = registered_pair
    for node, role in ((primary, "primary"), (standby, "standby")):
        r = harness.repmgr("node", "check", conf=node.conf)
        assert r.returncode == 0, r.stdout + r.stderr
        assert f"node is {role}" in r.stdout
        rc, out = nagios(harness, node)
        assert rc == OK, out
        lines = out.splitlines()
        assert lines[0].startswith("REPMGR_NODE OK: all 6 checks passed | ")
        assert {line.split()[0] for line in lines[1:]} == {
            "REPMGR_SERVER_ROLE", "REPMGR_REPLICATION_LAG", "REPMGR_ARCHIVE_READY",
            "REPMGR_DOWNSTREAM_SERVERS", "REPMGR_INACTIVE_SLOTS", "REPMGR_UPSTREAM_SERVER"}

    rc, out = nagios(harness, standby, "--role")
    assert (rc, out) == (OK, "REPMGR_SERVER_ROLE OK: node is standby\n")
    rc, out = nagios(harness, primary, "--downstream")
    assert rc == OK and "1 of 1 downstream node(s) attached" in out
    rc, out = nagios(harness, standby, "--upstream")
    assert rc == OK and 'streaming from upstream node "node1" (ID: 1)' in out

    r = harness.repmgr("node", "check", "--role", conf=primary.conf)
    assert (r.returncode, r.stdout) == (0, "OK (node is primary)\n")
    r = harness.repmgr("node", "check", "--json", "--slots", "--role", conf=primary.conf)
    j = json.loads(r.stdout)
    assert j["status"] == "OK"
    assert [c["option"] for c in j["checks"]] == ["--role", "--slots"]


def test_replication_lag_warning_then_critical(registered_pair, harness):
    primary, standby = registered_pair
    replayed(primary, standby)
    standby.sql("SELECT pg_wal_replay_pause()")
    primary.sql("CREATE TABLE lag_test AS SELECT generate_series(1, 1000) AS i")
    wait_until(lambda: standby.sql_one(
        "SELECT pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()"), what="WAL received")

    # The last replayed transaction gets older while replay stays paused.
    standby.write_repmgr_conf(2, extra={"replication_lag_warning": 1,
                                        "replication_lag_critical": 100000})
    wait_until(lambda: nagios(harness, standby, "--replication-lag")[0] == WARNING,
               what="lag WARNING")
    rc, out = nagios(harness, standby, "--replication-lag")
    assert out.startswith("REPMGR_REPLICATION_LAG WARNING: "), out
    assert "WAL replay is paused" in out
    perf = out.split(" | ")[1].split()
    assert perf[0].startswith("lag=") and perf[0].endswith("s;1;100000")
    assert perf[1].startswith("lag_bytes=") and int(perf[1][len("lag_bytes="):-1]) > 0

    r = harness.repmgr("node", "check", conf=standby.conf)
    assert r.returncode == ERR_NODE_STATUS, r.stdout + r.stderr
    assert "WARNING" in r.stdout

    standby.write_repmgr_conf(2, extra={"replication_lag_warning": 1,
                                        "replication_lag_critical": 2})
    wait_until(lambda: nagios(harness, standby, "--replication-lag")[0] == CRITICAL,
               what="lag CRITICAL")
    rc, out = nagios(harness, standby)
    assert rc == CRITICAL and out.startswith("REPMGR_NODE CRITICAL: Replication lag: "), out

    standby.sql("SELECT pg_wal_replay_resume()")
    wait_until(lambda: nagios(harness, standby, "--replication-lag")[0] == OK, what="lag OK")


def test_inactive_slot_is_critical(registered_pair, harness):
    primary, _ = registered_pair
    primary.sql("SELECT pg_create_physical_replication_slot('orphan', true)")
    rc, out = nagios(harness, primary, "--slots")
    assert rc == CRITICAL, out
    assert out.startswith('REPMGR_INACTIVE_SLOTS CRITICAL: 1 of 1 replication slot(s) '
                          'inactive: "orphan" (retains ')
    assert "inactive=1;;0;0;1" in out

    r = harness.repmgr("node", "status", "--json", conf=primary.conf)
    slots = json.loads(r.stdout)["slots"]
    assert [(s["name"], s["active"]) for s in slots] == [("orphan", False)]
    assert slots[0]["retained_bytes"] >= 0
    r = harness.repmgr("node", "status", conf=primary.conf)
    assert r.returncode == 0
    assert 'Slot "orphan": physical, inactive' in r.stdout
    assert 'inactive: "orphan"' in r.stderr  # listed as an issue

    primary.sql("SELECT pg_drop_replication_slot('orphan')")
    assert nagios(harness, primary, "--slots")[0] == OK


def test_archive_ready_thresholds(harness):
    primary = harness.primary("node1")
    primary.write_repmgr_conf(1, extra={"archive_ready_warning": 1,
                                        "archive_ready_critical": 3})
    assert harness.repmgr("primary", "register", conf=primary.conf).returncode == 0
    primary.sql("ALTER SYSTEM SET archive_mode = on")
    primary.sql("ALTER SYSTEM SET archive_command = '/bin/false'")  # archiving always fails
    primary.stop()
    primary.start()
    assert nagios(harness, primary, "--archive-ready") == (
        OK, "REPMGR_ARCHIVE_READY OK: 0 WAL file(s) waiting to be archived | files=0;1;3\n")

    def switch_wal():
        primary.sql("CREATE TABLE IF NOT EXISTS arch (i int)")
        primary.sql("INSERT INTO arch VALUES (1)")
        primary.sql("SELECT pg_switch_wal()")

    switch_wal()
    wait_until(lambda: nagios(harness, primary, "--archive-ready")[0] == WARNING,
               what="archive WARNING")
    for _ in range(3):
        switch_wal()
    wait_until(lambda: nagios(harness, primary, "--archive-ready")[0] == CRITICAL,
               what="archive CRITICAL")
    rc, out = nagios(harness, primary, "--archive-ready")
    assert "critical at 3" in out

    r = harness.repmgr("node", "status", "--json", conf=primary.conf)
    a = json.loads(r.stdout)["archiving"]
    assert a["archive_mode"] == "on" and a["ready_count"] >= 3
    wait_until(lambda: json.loads(harness.repmgr("node", "status", "--json", conf=primary.conf)
                                  .stdout)["archiving"]["failed_count"] > 0,
               what="archiver failures counted")


def test_missing_standby_and_lost_upstream(registered_pair, harness):
    primary, standby = registered_pair
    standby.stop()
    rc, out = nagios(harness, primary, "--downstream")
    assert rc == CRITICAL, out
    assert 'not attached: "node2" (ID: 2)' in out
    standby.start()
    wait_until(lambda: nagios(harness, primary, "--downstream")[0] == OK, what="standby back")

    primary.stop()
    rc, out = nagios(harness, standby, "--upstream")
    assert rc == CRITICAL, out
    assert out.startswith("REPMGR_UPSTREAM_SERVER CRITICAL: ")


def test_role_mismatch_unregistered_and_unreachable(registered_pair, harness):
    primary, standby = registered_pair
    standby.sql("SELECT pg_promote()")
    wait_until(lambda: not standby.in_recovery(), what="promotion")
    rc, out = nagios(harness, standby, "--role")
    assert rc == CRITICAL
    assert "registered as standby but is running as a primary" in out
    r = harness.repmgr("node", "status", conf=standby.conf)
    assert r.returncode == 0
    assert "running as a primary" in r.stderr  # listed as an issue
    assert json.loads(harness.repmgr("node", "status", "--json", conf=standby.conf).stdout)[
        "server"]["timeline"] == 2

    lone = harness.primary("lone")
    lone.write_repmgr_conf(7)
    rc, out = nagios(harness, lone, "--role")
    assert rc == UNKNOWN and out.startswith("REPMGR_SERVER_ROLE UNKNOWN: "), out

    primary.stop()
    rc, out = nagios(harness, primary)
    assert rc == CRITICAL and "cannot connect to this node's server" in out
    r = harness.repmgr("node", "check", conf=primary.conf)
    assert r.returncode == ERR_DB_CON, r.stdout + r.stderr
    r = harness.repmgr("node", "status", conf=primary.conf)
    assert r.returncode == ERR_DB_CON


def test_help_names_every_check(harness):
    r = harness.repmgr("node", "check", "--help")
    assert r.returncode == 0
    for option in ("--role", "--replication-lag", "--slots", "--upstream", "--downstream",
                   "--archive-ready", "--nagios"):
        assert option in r.stdout
    assert "repmgr [-f repmgr.conf] [OPTIONS] node status" in \
        harness.repmgr("node", "status", "--help").stdout
