"""A standby's repmgrd watches its upstream connection between ticks: when the
server closes it (a crash ends every backend), the check starts at once
instead of at the next monitor_interval_secs."""

import pytest

from pylib.clusters import make_cluster
from pylib.queries import writable
from pylib.wait import wait_until

CLOSED = "the connection to upstream node 1 was closed: checking it now"


@pytest.mark.slow
def test_closed_upstream_connection_starts_the_check_at_once(harness):
    # A long interval: only the watched connection can start the check early.
    primary, (s2, s3), witness, daemons = make_cluster(harness, monitor_interval_secs="30")
    assert CLOSED not in daemons["node2"].log()
    primary.kill9()
    for name in ("node2", "node3"):
        wait_until(lambda name=name: CLOSED in daemons[name].log(), timeout=60,
                   what=f"{name}'s repmgrd to notice the closed connection")
    log = daemons["node2"].log()
    # the check that followed it found the upstream gone
    assert log.index(CLOSED) < log.index("upstream node 1 does not answer"), log
    wait_until(lambda: writable(s2), timeout=90, what="node2 to promote")
