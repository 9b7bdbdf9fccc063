"""repmgr node service: shows or runs the command that starts, stops, restarts,
reloads or promotes this node's server (service_*_command, else pg_ctl)."""

import os

from pylib.conf import configure, notified


def started_at(node):
    return node.sql_one("SELECT pg_postmaster_start_time()")


def test_list_actions_shows_pg_ctl_and_service_commands(harness, registered_pair):
    n1, _ = registered_pair
    marker = os.path.join(n1.confdir, "reloaded")
    configure(n1, 1, base={}, service_reload_command=f"'touch {marker}'")
    r = harness.repmgr("node", "service", "--list-actions", conf=n1.conf)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "Following commands would be executed for each action:"
    start = next(l for l in lines if l.strip().startswith("start:"))
    assert "pg_ctl" in start and n1.datadir in start and start.rstrip().endswith('start"')
    assert any(l.strip() == f'reload: "touch {marker}"' for l in lines), lines
    assert any(l.strip().startswith("promote:") and "promote" in l[10:] for l in lines)

    r = harness.repmgr("node", "service", "--list-actions", "--action=RELOAD", conf=n1.conf)
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"touch {marker}\n"

    r = harness.repmgr("node", "service", "--action=frobnicate", conf=n1.conf)
    assert r.returncode == 1
    assert 'unknown value "frobnicate" provided for parameter --action' in r.stderr
    r = harness.repmgr("node", "service", conf=n1.conf)
    assert r.returncode == 1
    assert "--action" in r.stderr


def test_stop_start_restart_reload(harness, registered_pair):
    n1, _ = registered_pair
    marker = os.path.join(n1.confdir, "reloaded")
    configure(n1, 1, base={}, service_reload_command=f"'touch {marker}'")

    r = harness.repmgr("node", "service", "--action=stop", "--checkpoint", "--dry-run",
                       conf=n1.conf)
    assert r.returncode == 0, r.stderr
    assert "would execute server command" in r.stderr and "pg_ctl" in r.stderr
    assert "CHECKPOINT" in r.stderr
    assert n1.running()

    before = started_at(n1)
    r = harness.repmgr("node", "service", "--action=restart", "--checkpoint", "-S", "postgres",
                       conf=n1.conf)
    assert r.returncode == 0, r.stderr
    assert 'issuing CHECKPOINT on node "node1" (ID: 1)' in r.stderr
    assert started_at(n1) != before

    r = harness.repmgr("node", "service", "--action=reload", conf=n1.conf)
    assert r.returncode == 0, r.stderr
    assert os.path.exists(marker)
    assert [l[:3] for l in notified(n1, "node_service")] == [["1", "node_service", "1"]] * 2

    r = harness.repmgr("node", "service", "--action=stop", "--checkpoint", conf=n1.conf)
    assert r.returncode == 0, r.stderr
    assert not n1.running()
    r = harness.repmgr("node", "service", "--action=start", conf=n1.conf)
    assert r.returncode == 0, r.stderr
    assert n1.running() and not n1.in_recovery()

    # a failing command: ERR_LOCAL_COMMAND (5), recorded as unsuccessful
    configure(n1, 1, base={}, service_reload_command="'exit 3'")
    r = harness.repmgr("node", "service", "--action=reload", conf=n1.conf)
    assert r.returncode == 5, r.stderr
    assert notified(n1, "node_service")[-1][:3] == ["1", "node_service", "0"]


def test_promote_a_standby(harness, registered_pair):
    _, n2 = registered_pair
    r = harness.repmgr("node", "service", "--action=promote", "--dry-run", conf=n2.conf)
    assert r.returncode == 0, r.stderr
    assert n2.in_recovery()
    r = harness.repmgr("node", "service", "--action=promote", conf=n2.conf)
    assert r.returncode == 0, r.stderr
    assert not n2.in_recovery()
