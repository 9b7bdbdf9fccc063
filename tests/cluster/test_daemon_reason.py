"""Why did (or didn't) a node fail over: each repmgrd's reason is data.
`repmgr daemon status --json` shows every node's state and reason, the HTTP
/status carries it, and a changed reason outside plain monitoring is one
NOTICE line in the log, at the default log level."""

import json
import re

import pytest

from pylib.clusters import make_cluster
from pylib.queries import writable
from pylib.wait import wait_until


def daemon_status(harness, node):
    r = harness.repmgr("daemon", "status", "--json", conf=node.conf)
    assert r.returncode == 0, r.stderr
    return {row["id"]: row for row in json.loads(r.stdout)}


@pytest.mark.slow
def test_reasons_in_daemon_status_and_one_notice_per_change(harness):
    primary, (s2, s3), witness, daemons = make_cluster(harness)
    wait_until(lambda: (daemon_status(harness, primary).get(3) or {}).get("reason")
               == "standby is running; upstream node 1 answers", timeout=30,
               what="node 3's reason in daemon status")
    status = daemon_status(harness, primary)
    assert status[3]["state"] == "monitoring"
    assert status[1]["reason"].startswith("primary is running")

    primary.kill9()
    wait_until(lambda: writable(s2), timeout=60, what="node2 to promote")
    # Node 3 did not promote: its log says why at NOTICE (the default level
    # hides INFO): the election named node 2, by rank or by its claim.
    winner = re.compile(r"\[NOTICE\] node 2 (ranks first|won the failover of node 1|"
                        r"is already running as a primary)")
    wait_until(lambda: winner.search(daemons["node3"].log()), timeout=30,
               what="node 3's election sentence at NOTICE")
    notices = [line.split("] ", 2)[-1] for line in daemons["node3"].log().splitlines()
               if "[NOTICE]" in line]
    assert any(n.startswith("upstream node 1 does not answer") for n in notices), notices
    # one line per change: a reason is not repeated while it stays the same
    assert all(a != b for a, b in zip(notices, notices[1:])), notices
    # After the failover every repmgrd reports to the new primary again.
    wait_until(lambda: (daemon_status(harness, s2).get(3) or {}).get("reason")
               == "standby is running; upstream node 2 answers", timeout=60,
               what="node 3 following node 2, as daemon status says")
    assert daemon_status(harness, s2)[2]["reason"].startswith("primary is running")
