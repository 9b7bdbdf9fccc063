"""repmgr daemon start | stop: repmgrd started and stopped directly
(repmgrd -d, SIGTERM) or through repmgrd_service_start_command /
repmgrd_service_stop_command, with repmgr 5's messages and exit codes."""

import os

from pylib.conf import write_conf
from pylib.queries import SCHEMA
from pylib.wait import wait_until


def recorded_pid(node, node_id):
    return node.sql_one(f"SELECT pid FROM {SCHEMA}.repl_daemon WHERE node_id = %s", (node_id,),
                        dbname="repmgr")


def alive(pid):
    return pid is not None and os.path.exists(f"/proc/{pid}")


def test_daemon_start_and_stop_directly(harness, registered_pair):
    n1, _ = registered_pair
    write_conf(n1, 1, {"monitor_interval_secs": "1"},
               log_file=os.path.join(n1.confdir, "repmgrd.log"))
    r = harness.repmgr("daemon", "stop", conf=n1.conf)
    assert r.returncode == 27, r.stderr
    assert "repmgrd appears to be stopped already" in r.stderr

    r = harness.repmgr("daemon", "start", "--dry-run", conf=n1.conf)
    assert r.returncode == 0, r.stderr
    assert "repmgrd" in r.stderr and "-d" in r.stderr and n1.conf in r.stderr
    assert recorded_pid(n1, 1) is None

    r = harness.repmgr("daemon", "start", conf=n1.conf)
    pid = recorded_pid(n1, 1)
    if pid:
        harness.adopt_repmgrd(pid)  # stopped at teardown whatever happens below
    assert r.returncode == 0, r.stderr
    assert "repmgrd was successfully started" in r.stderr
    assert alive(pid)

    r = harness.repmgr("daemon", "start", conf=n1.conf)
    assert r.returncode == 27, r.stderr
    assert "repmgrd appears to be running already" in r.stderr
    assert f"repmgrd PID is {pid}" in r.stderr

    r = harness.repmgr("daemon", "stop", conf=n1.conf)
    assert r.returncode == 0, r.stderr
    assert "repmgrd was successfully stopped" in r.stderr
    assert not alive(pid)
    assert recorded_pid(n1, 1) is None  # a clean stop clears it


def test_daemon_start_and_stop_with_service_commands(harness, registered_pair):
    _, n2 = registered_pair
    pidfile = os.path.join(n2.confdir, "repmgrd.pid")
    marker = os.path.join(n2.confdir, "stop-command-ran")
    repmgrd = os.path.join(harness.prefix, "bin", "repmgrd")
    write_conf(n2, 2, {"monitor_interval_secs": "1"},
               repmgrd_service_start_command=f"'{repmgrd} -f {n2.confdir}/repmgr.conf -d "
                                             f"-p {pidfile}'",
               repmgrd_service_stop_command=f"'touch {marker}; kill $(cat {pidfile})'")

    r = harness.repmgr("daemon", "start", conf=n2.conf)
    pid = int(open(pidfile).read()) if os.path.exists(pidfile) else None
    if pid:
        harness.adopt_repmgrd(pid)
    assert r.returncode == 0, r.stderr
    assert f'executing: "{repmgrd}' in r.stderr
    assert "repmgrd was successfully started" in r.stderr
    # on a standby the pid reaches this node's copy of the metadata by replication
    assert recorded_pid(n2, 2) == pid

    r = harness.repmgr("daemon", "stop", "--no-wait", conf=n2.conf)
    assert r.returncode == 0, r.stderr
    assert os.path.exists(marker)
    assert "repmgr service status" in r.stderr  # the hint instead of waiting
    wait_until(lambda: not alive(pid), what="repmgrd to exit")

    # a failing start command: ERR_REPMGRD_SERVICE (27)
    write_conf(n2, 2, {}, repmgrd_service_start_command="'exit 4'")
    r = harness.repmgr("daemon", "start", conf=n2.conf)
    assert r.returncode == 27, r.stderr
    assert "unable to start repmgrd" in r.stderr
