"""External commands cannot hold repmgrd: a hung event_notification_command
runs off the decision path (the failover happens and is recorded while it
still hangs), and a hung promote_command ends at command_timeout with a
clear error, killed with its whole process group."""

import os
import signal
import time

from pylib.clusters import make_cluster
from pylib.procs import pids_by_cmdline
from pylib.queries import events
from pylib.wait import wait_until


def hung(marker):
    """pids of the shells running our hung command (each leads its group;
    its sleep child has no marker)."""
    return pids_by_cmdline(lambda cmdline: marker.encode() in cmdline)


def end_hung(marker, daemons):
    """Stops the daemons while ending each hung command they start meanwhile
    (their process groups: the shell and its sleep)."""
    for d in daemons.values():
        if d.alive():
            d.signal(signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for pid in hung(marker):
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if not any(d.alive() for d in daemons.values()) and not hung(marker):
            return
        time.sleep(0.2)


def test_hung_notification_does_not_delay_failover(harness):
    marker = "hung-notification-7f3a"
    daemons = {}
    try:
        # the notification of every repmgrd event hangs (and its deadline is
        # far): before the fix the first one stopped repmgrd's loop for good.
        # (The CLI's registrations, not hanging, run theirs before returning.)
        command = f"case %e in repmgrd*) sleep 1000;; esac; : {marker}"
        primary, standbys, _, daemons = make_cluster(
            harness, event_notification_command=f"'{command}'", event_notification_timeout=300)
        assert hung(marker), "no notification command is hanging"
        primary.kill9()

        def promoted():
            return [row for s in standbys for row in events(s, "repmgrd_failover_promote")
                    if row[1]]
        wait_until(lambda: promoted(), timeout=60, what="a failover recorded in repl_events")
        assert hung(marker), "the hung notification commands should still be running"
        assert sum(not s.in_recovery() for s in standbys) == 1
    finally:
        end_hung(marker, daemons)
    assert not hung(marker)


def test_hung_promote_command_times_out(harness):
    marker = "hung-promote-91c2"
    daemons = {}
    try:
        primary, (s2, s3), _, daemons = make_cluster(
            harness, priorities=(100, 0),
            per_node={2: {"promote_command": f"'sleep 1000; echo {marker}'",
                          "command_timeout": "3"}})
        primary.kill9()
        wait_until(lambda: "promote_command did not finish within 3 seconds" in
                   daemons["node2"].log(), timeout=90, what="promote_command to time out")
        log = daemons["node2"].log()
        assert "command_timeout" in log
        assert s2.in_recovery() and s3.in_recovery()
    finally:
        end_hung(marker, daemons)
