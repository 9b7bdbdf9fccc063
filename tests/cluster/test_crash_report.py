"""A primary's repmgrd that finds its own postmaster gone (postmaster.pid
left behind, its pid gone: a crash, not a timeout) reports it on the witness;
the standbys treat a fresh report from their primary as a confirmed failure
and skip the reconnect attempts. A postmaster back within
primary_restart_grace, or merely frozen, is never reported. (Stale reports,
reports about or by another node and other timelines: unit tests,
tests/unit/daemon_crash_report_test.cpp.)"""

import json
import os
import re
import time

import pytest

from pylib.clusters import make_cluster
from pylib.conf import notified
from pylib.harness import thaw
from pylib.queries import SCHEMA, WITH_DETAILS, events, writable
from pylib.wait import wait_until

# Long enough that a failover by the reconnect attempts alone takes 30 s or more.
SLOW_CONFIRMATION = {"monitor_interval_secs": "2", "reconnect_attempts": "6",
                     "reconnect_interval": "5"}
REPORTED = "reporting the crash so that the standbys need not wait"
HONOURED = "the primary's repmgrd reported its server crashed"


def crash_reports(witness):
    return witness.sql(f"SELECT node_id, timeline, reporter_node_id FROM {SCHEMA}.repl_crash_report",
                       dbname="repmgr")


@pytest.mark.slow
def test_crash_report_is_written_and_honoured(harness):
    primary, (s2, s3), witness, daemons = make_cluster(harness, **SLOW_CONFIRMATION)
    killed = time.monotonic()
    killed_wall = time.time()
    primary.kill9()
    wait_until(lambda: writable(s2) or writable(s3), timeout=60, what="a standby to promote")
    elapsed = time.monotonic() - killed
    assert REPORTED in daemons["node1"].log(), daemons["node1"].log()
    assert crash_reports(witness) == [(1, 1, 1)]
    winner, other = (s2, s3) if writable(s2) else (s3, s2)
    log = daemons[winner.name].log()
    assert HONOURED in log, log
    assert "upstream node 1 crashed: its repmgrd reported its postmaster gone" in log, log
    # Confirmed by the report, not by the reconnect attempts: far fewer checks.
    assert "check 6/6" not in log and "check 3/6" not in log, log
    assert elapsed < 6 * 5, elapsed
    promoted = events(winner, "repmgrd_failover_promote", WITH_DETAILS)
    assert len(promoted) == 1 and promoted[0][1], promoted
    assert '"confirmed_by":"crash_report"' in promoted[0][2], promoted
    # The failover timeline: every milestone, in order, around the kill (same host clock).
    timeline = json.loads(re.search(r"failover_timeline=(\{.*?\})", promoted[0][2]).group(1))
    keys = ("last_contact", "failure_noticed", "failure_confirmed", "election_decided",
            "claim_won", "promotion_requested", "writable")
    times = [timeline[k] for k in keys]
    assert times == sorted(times), timeline
    assert killed_wall - 10 < timeline["last_contact"] <= killed_wall + 1, timeline
    assert killed_wall <= timeline["failure_noticed"] and timeline["writable"] <= time.time(), timeline
    # The other standby follows as usual.
    wait_until(lambda: "following it" in daemons[other.name].log(), timeout=60,
               what=f"{other.name} to follow the new primary")


@pytest.mark.slow
def test_postmaster_restarted_within_the_grace_causes_no_failover(harness):
    primary, (s2, s3), witness, daemons = make_cluster(
        harness, per_node={1: {"primary_restart_grace": "12"}}, **SLOW_CONFIRMATION)
    killed = time.monotonic()
    primary.kill9()  # returns once the pid is gone (the zombie reaped)
    wait_until(lambda: "the connection to the local server was closed" in daemons["node1"].log(),
               timeout=30, what="the primary's repmgrd to notice")
    primary.start()
    # Past the grace: had the postmaster stayed away, the crash would be reported by now.
    for name in ("node2", "node3"):
        wait_until(lambda name=name: "upstream answers again" in daemons[name].log(),
                   timeout=60, what=f"{name} to see the primary again")
    time.sleep(max(0.0, 16 - (time.monotonic() - killed)))
    assert REPORTED not in daemons["node1"].log(), daemons["node1"].log()
    assert crash_reports(witness) == []
    assert not writable(s2) and not writable(s3)
    wait_until(lambda: writable(primary), timeout=30, what="the primary to be writable again")
    for name in ("node2", "node3"):
        assert HONOURED not in daemons[name].log()


@pytest.mark.slow
def test_frozen_primary_is_not_reported_and_not_failed_over_with_defaults(harness):
    defaults = {"monitor_interval_secs": "2", "reconnect_attempts": "3",
                "reconnect_interval": "2", "master_response_timeout": "2"}
    primary, (s2, s3), witness, daemons = make_cluster(harness, **defaults)
    pids = primary.freeze()
    try:
        time.sleep(5)
    finally:
        thaw(pids)
    # Its repmgrd saw the server stop answering (a check takes at most 2 + 2.5 s)...
    assert "to local-down" in daemons["node1"].log(), daemons["node1"].log()
    time.sleep(8)  # ... and the standbys' confirmation would have ended by now
    assert REPORTED not in daemons["node1"].log(), daemons["node1"].log()
    assert crash_reports(witness) == []
    assert not writable(s2) and not writable(s3)
    for name in ("node2", "node3"):
        assert "repmgrd_failover_promote" not in daemons[name].log()


@pytest.mark.slow
def test_without_a_witness_the_crash_is_said_once_and_the_failover_happens(harness):
    """Nowhere to report: the primary's repmgrd says so once (not a failure
    repeated every tick, and no 'reported on the none'), and the standbys
    fail over by their reconnect attempts."""
    primary, (s2, s3), _, daemons = make_cluster(harness, witness=False)
    primary.kill9()
    wait_until(lambda: writable(s2) or writable(s3), timeout=60, what="a standby to promote")
    time.sleep(3)  # several ticks of the old primary's repmgrd
    log = daemons["node1"].log()
    assert log.count("no witness is registered, so the crash is not reported") == 1, log
    assert "on the none" not in log and REPORTED not in log, log


@pytest.mark.slow
def test_reported_crash_demotes_the_data_directory_first(harness):
    """The report invites the standbys to take over at once, so the data
    directory is demoted before it (primary_fencing=rejoin): a restart (a
    supervisor, a reboot) brings the server back in recovery, never writable
    beside a new primary its repmgrd has not seen yet (the fault suite's
    kill_primary_and_sync_standby: the old primary restarted 1 s after the
    promotion took writes). Nobody takes over here (failover=manual on the
    standbys): repmgrd claims its term on the witness and promotes it again."""
    manual = {"failover": "manual"}
    primary, _, _, daemons = make_cluster(harness, per_node={2: manual, 3: manual})
    primary.kill9()
    wait_until(lambda: REPORTED in daemons["node1"].log(), timeout=30, what="the crash report")
    assert os.path.exists(os.path.join(primary.datadir, "standby.signal"))
    assert os.path.exists(os.path.join(primary.datadir, "repmgr_fence_demoted"))
    primary.start()
    assert primary.in_recovery()
    wait_until(lambda: writable(primary), timeout=60, what="repmgrd to promote it again")
    # Notifications are queued off the decision path: a moment after the promotion.
    wait_until(lambda: notified(primary, "repmgrd_isolation_fence_restore"), timeout=10,
               what="the repmgrd_isolation_fence_restore notification\n" + daemons["node1"].log())
