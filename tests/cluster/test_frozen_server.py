"""A server that stops answering without closing its connections (all its
processes frozen with SIGSTOP: the kernel still ACKs, so TCP timeouts never
fire) must not hang repmgrd: its client-side query deadline notices."""

from pylib.harness import thaw
from pylib.wait import wait_until


def test_repmgrd_notices_a_frozen_upstream(harness, registered_pair):
    primary, standby = registered_pair
    standby.write_repmgr_conf(2, extra={"monitor_interval_secs": "1", "reconnect_attempts": "2",
                                        "reconnect_interval": "1",
                                        "master_response_timeout": "1", "failover": "manual"})
    d = harness.start_repmgrd(standby)
    wait_until(lambda: "started monitoring" in d.log(), timeout=30, what="repmgrd to start")
    pids = primary.freeze()
    try:
        wait_until(lambda: "upstream-lost" in d.log(), timeout=30,
                   what="repmgrd to notice the frozen primary")
        assert d.alive()
    finally:
        thaw(pids)
    # once thawed, the upstream is back and monitoring goes on
    wait_until(lambda: "from upstream-lost to monitoring" in d.log()
               or "upstream answers again" in d.log() or "repmgrd_upstream_reconnect" in d.log(),
               timeout=60, what="repmgrd to see the primary again")
    assert d.alive()
