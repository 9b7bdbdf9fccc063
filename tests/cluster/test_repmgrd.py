"""repmgrd on real servers: monitoring history, repl_status, daemon status,
pause/unpause, SIGHUP reload, surviving server restarts, the pid-file lock,
daemonizing, bad configuration; and cluster cleanup of the history."""

import os
import signal

from pylib.conf import configure, notified
from pylib.queries import events
from pylib.wait import wait_until

# repmgr.conf settings: fast intervals (configure() adds an event log per node)
FAST = {"monitor_interval_secs": "1", "reconnect_interval": "1", "reconnect_attempts": "3",
        "master_response_timeout": "2"}


def history_count(primary, standby_id=2):
    return primary.sql_one("SELECT count(*) FROM repmgr_test.repl_monitor WHERE standby_node = %s",
                           (standby_id,), dbname="repmgr")


def daemon_status(harness, conf):
    import json
    r = harness.repmgr("daemon", "status", "--json", conf=conf)
    assert r.returncode == 0, r.stderr
    return {row["id"]: row for row in json.loads(r.stdout)}


def test_history_rows_status_view_and_daemon_status(harness, registered_pair):
    primary, standby = registered_pair
    configure(primary, 1, FAST)
    configure(standby, 2, FAST, monitoring_history="true")
    dp = harness.start_repmgrd(primary)
    ds = harness.start_repmgrd(standby)

    primary.sql("CREATE TABLE t (i int)", dbname="repmgr")
    primary.sql("INSERT INTO t SELECT generate_series(1, 1000)", dbname="repmgr")
    wait_until(lambda: history_count(primary) >= 3, timeout=30, what="monitoring history rows")
    # only standbys write history
    assert history_count(primary, 1) == 0

    row = primary.sql(
        "SELECT primary_node, standby_node, standby_name, last_wal_primary_location IS NOT NULL, "
        "last_wal_standby_location IS NOT NULL, last_wal_standby_replayed IS NOT NULL, "
        "replication_lag_bytes >= 0, apply_lag_seconds >= 0, "
        "communication_time_lag < interval '30 seconds' FROM repmgr_test.repl_status",
        dbname="repmgr")
    assert row == [(1, 2, "node2", True, True, True, True, True, True)]
    # one row per standby: the latest
    latest = primary.sql_one("SELECT max(last_monitor_time) = (SELECT last_monitor_time FROM "
                             "repmgr_test.repl_status) FROM repmgr_test.repl_monitor",
                             dbname="repmgr")
    assert latest

    wait_until(lambda: sorted(events(primary, "repmgrd_start")) == [(1, True), (2, True)],
               what="repmgrd_start events")
    status = wait_until(lambda: (s := daemon_status(harness, standby.conf))
                        and s[1]["running"] and s[2]["running"] and s, what="both running")
    assert status[1]["pid"] == dp.pid and status[2]["pid"] == ds.pid
    assert not status[1]["paused"] and not status[2]["paused"]
    text = harness.repmgr("service", "status", conf=primary.conf)
    assert text.returncode == 0, text.stderr
    assert any("node2" in l and "running" in l and str(ds.pid) in l for l in text.stdout.splitlines())

    assert ds.stop() == 0
    assert sorted(events(primary, "repmgrd_shutdown")) == [(2, True)]
    status = daemon_status(harness, primary.conf)
    assert status[2]["repmgrd"] == "not running" and status[2]["pid"] is None
    assert status[1]["running"]
    assert dp.alive() and ds.log().count("[ERROR]") == 0


def test_reload_applies_interval_and_names_restart_settings(harness, registered_pair):
    primary, standby = registered_pair
    configure(standby, 2, FAST, monitoring_history="true", monitor_interval_secs=120)
    d = harness.start_repmgrd(standby)
    wait_until(lambda: history_count(primary) == 1, what="first history row")

    configure(standby, 2, FAST, monitoring_history="true", monitor_interval_secs=1,
              http_port=9999)
    d.signal(signal.SIGHUP)
    # with the old interval the next row would come after two minutes
    wait_until(lambda: history_count(primary) >= 3, timeout=20, what="rows at the new interval")
    log = d.log()
    assert 'setting "monitor_interval_secs" changed from "120" to "1"' in log
    assert '"http_port" changed to "9999" but needs a restart' in log
    assert sorted(events(primary, "repmgrd_reload")) == [(2, True)]

    # a broken file is refused and the daemon goes on
    harness.write_file(os.path.relpath(standby.conf, harness.base), "node=abc\n")
    d.signal(signal.SIGHUP)
    wait_until(lambda: sorted(events(primary, "repmgrd_reload")) == [(2, False), (2, True)],
               what="failed reload event")
    before = history_count(primary)
    wait_until(lambda: history_count(primary) > before, what="monitoring after a bad reload")
    assert d.alive()


def test_pause_unpause_persists_across_restarts(harness, registered_pair):
    primary, standby = registered_pair
    configure(standby, 2, FAST, monitoring_history="true")
    r = harness.repmgr("daemon", "pause", "--dry-run", conf=standby.conf)
    assert r.returncode == 0 and "would pause" in r.stderr, r.stderr
    assert primary.sql_one("SELECT count(*) FROM repmgr_test.repl_daemon WHERE paused",
                           dbname="repmgr") == 0

    r = harness.repmgr("daemon", "pause", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    assert sorted(events(primary, "repmgrd_pause")) == [(2, True)]
    r = harness.repmgr("daemon", "pause", conf=standby.conf)  # safe to re-run
    assert r.returncode == 0 and "already paused" in r.stderr, r.stderr

    d = harness.start_repmgrd(standby, "-L", "INFO")
    # paused, it still monitors
    wait_until(lambda: history_count(primary) >= 2, what="history while paused")
    wait_until(lambda: "(paused)" in d.log(), what="paused in the log")
    assert d.stop() == 0
    d = harness.start_repmgrd(standby, "-L", "INFO")
    status = wait_until(lambda: (s := daemon_status(harness, standby.conf)) and s[2]["running"]
                        and s, what="repmgrd running again")
    assert status[2]["paused"] and status[1]["paused"]

    r = harness.repmgr("daemon", "unpause", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    status = daemon_status(harness, primary.conf)
    assert not status[1]["paused"] and not status[2]["paused"]
    wait_until(lambda: "standby is running; upstream node 1 answers\n" in d.log(),
               what="unpaused in the log")


def test_survives_upstream_and_local_restarts(harness, registered_pair):
    primary, standby = registered_pair
    configure(standby, 2, FAST, monitoring_history="true", reconnect_attempts=1000)
    d = harness.start_repmgrd(standby)
    wait_until(lambda: history_count(primary) >= 1, what="history rows")

    primary.stop()
    wait_until(lambda: notified(standby, "repmgrd_upstream_disconnect"), what="upstream disconnect")
    primary.start()
    wait_until(lambda: notified(standby, "repmgrd_upstream_reconnect"), timeout=30,
               what="upstream reconnect")
    assert sorted(events(primary, "repmgrd_upstream_reconnect")) == [(2, True)]
    before = history_count(primary)
    wait_until(lambda: history_count(primary) > before, what="history after the primary restart")

    standby.stop()
    wait_until(lambda: notified(standby, "repmgrd_local_disconnect"), what="local disconnect")
    standby.start()
    wait_until(lambda: notified(standby, "repmgrd_local_reconnect"), timeout=30,
               what="local reconnect")
    before = history_count(primary)
    wait_until(lambda: history_count(primary) > before, what="history after the standby restart")
    assert d.alive()
    assert d.stop() == 0


def test_pid_file_lock_and_daemonize(harness, registered_pair):
    primary, standby = registered_pair
    configure(standby, 2, FAST)
    pidfile = harness.path("node2", "repmgrd.pid")
    d = harness.start_repmgrd(standby, "-p", pidfile)
    wait_until(lambda: os.path.exists(pidfile) and open(pidfile).read().strip() == str(d.pid),
               what="pid file")

    second = harness.repmgrd("-p", pidfile, conf=standby.conf, timeout=30)
    assert second.returncode == 3, second.stderr
    assert "another repmgrd is already running" in second.stderr
    assert str(d.pid) in second.stderr
    assert d.stop() == 0
    assert not os.path.exists(pidfile)

    # -d: the command returns, the daemon lives on detached
    logfile = harness.path("node2", "repmgrd-daemon.log")
    configure(standby, 2, FAST, logfile=f"'{logfile}'")
    r = harness.repmgrd("-d", "-p", pidfile, conf=standby.conf, timeout=30)
    assert r.returncode == 0, r.stderr
    # No waiting: `repmgrd -d` returns only once the detached daemon has
    # written its own pid (what systemd's Type=forking relies on).
    pid = int(open(pidfile).read().strip())
    daemon = harness.adopt_repmgrd(pid)
    assert daemon.alive()
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().split(")")[-1].split()
    session = int(fields[3])
    assert session != pid  # double fork: not a session leader, no terminal to reacquire
    assert int(fields[4]) == 0 or fields[4] == "0"  # no controlling terminal
    assert os.readlink(f"/proc/{pid}/cwd") == "/"
    wait_until(lambda: "starting for node 2" in open(logfile).read(), what="daemon log")
    again = harness.repmgrd("-d", "-p", pidfile, conf=standby.conf, timeout=30)
    assert again.returncode == 3, again.stderr
    daemon.stop()
    wait_until(lambda: not os.path.exists(pidfile), what="pid file removed")
    assert "shutting down" in open(logfile).read()


def test_bad_config_at_startup_exits_1(harness, registered_pair):
    primary, standby = registered_pair
    path = harness.write_file("bad/repmgr.conf",
                              "cluster=test\nnode=2\nnode_name=node2\n"
                              f"conninfo='{standby.conninfo()}'\nmonitor_interval_secs=soon\n")
    r = harness.repmgrd(conf=path, timeout=30)
    assert r.returncode == 1
    assert "monitor_interval_secs" in r.stderr and "repmgr.conf:5" in r.stderr
    r = harness.repmgrd(conf=harness.path("missing.conf"), timeout=30)
    assert r.returncode == 1 and "not found" in r.stderr
    path = harness.write_file("bad2/repmgr.conf", "cluster=test\nnode=7\nnode_name=ghost\n"
                              f"conninfo='{standby.conninfo()}'\n")
    r = harness.repmgrd(conf=path, timeout=30)
    assert r.returncode == 1 and "not registered" in r.stderr, r.stderr


def test_cluster_cleanup_prunes_old_history(harness, registered_pair):
    primary, standby = registered_pair
    ins = ("INSERT INTO repmgr_test.repl_monitor (primary_node, standby_node, last_monitor_time, "
           "last_wal_primary_location, replication_lag, apply_lag) "
           "VALUES (1, 2, now() - make_interval(days => %s), '0/0', 0, 0)")
    for days in (10, 5, 0):
        primary.sql(ins, (days,), dbname="repmgr")
    r = harness.repmgr("cluster", "cleanup", "-k", "7", "--dry-run", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    assert history_count(primary) == 3
    r = harness.repmgr("cluster", "cleanup", "-k", "7", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    assert history_count(primary) == 2
    r = harness.repmgr("cluster", "cleanup", "-k", "1", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    assert history_count(primary) == 1
    assert len(events(primary, "cluster_cleanup")) == 2


def test_witness_keeps_its_metadata_copy_in_sync(harness, registered_pair):
    primary, standby = registered_pair
    # A witness is a separate, writable server with its own copy of the schema.
    witness = harness.primary("witness")
    schema_sql = open(os.path.join(os.path.dirname(__file__), "..", "..", "sql",
                                   "schema.sql")).read()
    with witness.connect(user="repmgr", dbname="repmgr") as conn:
        conn.execute("CREATE SCHEMA repmgr_test")
        conn.execute("SET search_path TO repmgr_test")
        conn.execute(schema_sql)
    record = ("INSERT INTO repmgr_test.repl_nodes (id, type, upstream_node_id, cluster, name, "
              "conninfo, priority) VALUES (3, 'witness', NULL, 'test', 'witness', %s, 0)")
    primary.sql(record, (witness.conninfo(),), dbname="repmgr")
    # as "witness register" leaves it: a copy of the records as of registration
    copy = ("INSERT INTO repmgr_test.repl_nodes (id, type, upstream_node_id, cluster, name, "
            "conninfo, priority) VALUES (%s, %s, %s, %s, %s, %s, %s)")
    for row in primary.sql("SELECT id, type, upstream_node_id, cluster, name, conninfo, priority "
                           "FROM repmgr_test.repl_nodes", dbname="repmgr"):
        witness.sql(copy, row, dbname="repmgr")
    witness.sql("INSERT INTO repmgr_test.repl_nodes (id, type, cluster, name, conninfo) "
                "VALUES (9, 'standby', 'test', 'gone', 'host=127.0.0.1 port=1')", dbname="repmgr")
    configure(witness, 3, FAST, witness_sync_interval=1)
    d = harness.start_repmgrd(witness)

    nodes = "SELECT id, type, name, priority FROM repmgr_test.repl_nodes ORDER BY id"
    wait_until(lambda: witness.sql(nodes, dbname="repmgr") == primary.sql(nodes, dbname="repmgr"),
               what="witness copy of repl_nodes")
    primary.sql("UPDATE repmgr_test.repl_nodes SET priority = 42 WHERE id = 2", dbname="repmgr")
    wait_until(lambda: witness.sql_one("SELECT priority FROM repmgr_test.repl_nodes WHERE id = 2",
                                       dbname="repmgr") == 42, what="change synced to the witness")
    status = wait_until(lambda: (s := daemon_status(harness, primary.conf)) and s[3]["running"]
                        and s, what="witness repmgrd reporting")
    assert status[3]["role"] == "witness" and status[3]["pid"] == d.pid
    assert d.stop() == 0
