"""Zero data loss (synchronous=on|strict) and the lag bounds on real servers:
a primary, two standbys and a witness, repmgrd on every node. The primary's
repmgrd names the synchronous standby itself, records the zero-loss
candidates before it names a standby and narrows the record only after; a
failover promotes only a recorded candidate, and none reachable means no
automatic promotion. Standbys past failover_max_lag_bytes are not promoted."""

import os
import signal
import threading
import time

import pytest

from pylib.clusters import WritableSampler, make_cluster
from pylib.queries import SCHEMA, events, streams_from, writable
from pylib.wait import wait_until

NODE2 = 'FIRST 1 ("node2")'
NODE3 = 'FIRST 1 ("node3")'


def record(node):
    """The recorded zero-loss candidates as `node` has them (None: no record)."""
    rows = node.sql(f"SELECT candidate_ids FROM {SCHEMA}.repl_zero_loss", dbname="repmgr")
    return sorted(rows[0][0]) if rows else None


class NamesAndRecord:
    """Samples (synchronous_standby_names, recorded candidates) on the primary
    in one statement every 20 ms, so that the order of the two changes shows."""

    def __init__(self, primary):
        self.primary = primary
        self.samples = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        try:
            with self.primary.connect(dbname="repmgr") as conn:
                while not self._stop.is_set():
                    names, rec = conn.execute(
                        "SELECT current_setting('synchronous_standby_names'), "
                        f"(SELECT candidate_ids FROM {SCHEMA}.repl_zero_loss)").fetchone()
                    sample = (names, tuple(sorted(rec)) if rec else ())
                    if not self.samples or self.samples[-1] != sample:
                        self.samples.append(sample)
                    self._stop.wait(0.02)
        except Exception:  # noqa: BLE001 - the primary went away: sampling ends
            pass

    def stop(self):
        self._stop.set()
        self._thread.join(10)
        return self.samples


def named_ids(names):
    return {int(n) for n in ("2" if "node2" in names else "", "3" if "node3" in names else "") if n}


@pytest.mark.slow
def test_names_set_by_repmgrd_record_widened_before_narrowed_after(harness):
    primary, (s2, s3), witness, daemons = make_cluster(harness, synchronous="on")
    sampler = WritableSampler([primary, s2, s3])
    watch = NamesAndRecord(primary)
    try:
        wait_until(lambda: primary.sql_one("SHOW synchronous_standby_names") == NODE2,
                   timeout=30, what="repmgrd to name node2 as synchronous standby")
        wait_until(lambda: record(primary) == [2], what="node2 recorded")
        wait_until(lambda: record(witness) == [2], what="the record copied to the witness")
        assert primary.sql_one("SELECT sync_state FROM pg_stat_replication "
                               "WHERE application_name = 'node2'") == "sync"
        # cluster show and node status say which standby is synchronous
        r = harness.repmgr("cluster", "show", conf=primary.conf)
        assert 'Synchronous standbys: node 2 ("node2", sync)' in r.stdout, r.stdout
        r = harness.repmgr("node", "status", conf=primary.conf)
        assert "synchronous (sync)" in r.stdout, r.stdout

        # node2 fails: node3 (caught up) replaces it.
        s2.stop()
        wait_until(lambda: primary.sql_one("SHOW synchronous_standby_names") == NODE3,
                   timeout=30, what="repmgrd to name node3")
        wait_until(lambda: record(primary) == [3], timeout=30, what="the record narrowed to node3")
        # The sampler's own session sees the narrowed state too before it stops.
        wait_until(lambda: watch.samples and watch.samples[-1] == (NODE3, (3,)), timeout=10,
                   what="the sampler to see node3 named and recorded alone")
        samples = watch.stop()
        # The invariant in every sample: whoever the names list is recorded.
        for names, rec in samples:
            assert named_ids(names) <= set(rec), f"{names} named but only {rec} recorded: {samples}"
        # Widened before the names changed, narrowed only after.
        assert (NODE2, (2, 3)) in samples, samples
        assert (NODE3, (2, 3)) in samples, samples
        assert samples.index((NODE2, (2, 3))) < samples.index((NODE3, (2, 3))) < \
            samples.index((NODE3, (3,)))

        # node2 returns as an asynchronous standby; the primary dies: node3 (the
        # synchronous one) is promoted, never node2, although node2 ranks first
        # by id with the same WAL position.
        s2.start()
        wait_until(lambda: streams_from(primary, "node2"), timeout=30, what="node2 streaming")
        primary.sql("CREATE TABLE t (i int)", dbname="repmgr")
        primary.sql("INSERT INTO t SELECT generate_series(1, 100)", dbname="repmgr")
        wait_until(lambda: s2.sql_one("SELECT count(*) FROM t", dbname="repmgr") == 100,
                   what="node2 to replay")
        primary.kill9()
        wait_until(lambda: writable(s3), timeout=60, what="node3 to promote")
        wait_until(lambda: streams_from(s3, "node2"), timeout=60, what="node2 to follow node3")
        assert s2.in_recovery()
        assert s3.sql_one("SELECT count(*) FROM t", dbname="repmgr") == 100
    finally:
        watch.stop()
        worst = sampler.stop()
    assert worst <= 1, f"two writable primaries seen: {sampler.seen}"


@pytest.mark.slow
def test_no_recorded_candidate_reachable_no_promotion_then_promote_force(harness):
    primary, (s2, s3), witness, daemons = make_cluster(harness, synchronous="strict")
    sampler = WritableSampler([primary, s2, s3])
    try:
        wait_until(lambda: record(primary) == [2] and
                   primary.sql_one("SHOW synchronous_standby_names") == NODE2,
                   timeout=30, what="node2 named and recorded")
        wait_until(lambda: record(s3) == [2], what="node3 to receive the record")
        # The primary and its synchronous standby die together (one signal
        # each, back to back: PgNode.kill9 waits for the pid to vanish, by
        # which time node2 could have been promoted, rightly).
        pids = [primary.pid(), s2.pid()]
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        for pid in pids:
            wait_until(lambda pid=pid: not os.path.exists(f"/proc/{pid}"), timeout=15,
                       what=f"pid {pid} to vanish")
        reason = "the standbys that acknowledged commits, node 2, are unreachable"
        try:
            wait_until(lambda: reason in daemons["node3"].log(), timeout=60,
                       what="node3 to refuse the failover with the reason")
        except AssertionError as e:
            raise AssertionError(f"{e}\n{daemons['node3'].log()[-3000:]}") from None
        assert s3.in_recovery(), "node3 (asynchronous) must not promote"
        r = harness.repmgr("standby", "promote", conf=s3.conf)
        assert r.returncode == 8, r.stderr
        assert "not a recorded zero-loss candidate" in r.stderr
        assert s3.in_recovery()
        r = harness.repmgr("standby", "promote", "-F", conf=s3.conf)
        assert r.returncode == 0, r.stderr
        assert "promoting anyway (-F/--force)" in r.stderr
        wait_until(lambda: writable(s3), what="node3 promoted by the DBA")
    finally:
        worst = sampler.stop()
    assert worst <= 1, f"two writable primaries seen: {sampler.seen}"


@pytest.mark.slow
def test_on_falls_back_to_asynchronous_with_an_event(harness):
    # Both standbys gone while the witness answers: with isolation fencing the
    # primary fences itself (the standbys and the witness could elect without
    # it; bugs.md entry 19), so the fallback is seen with the fencing off.
    primary, (s2, s3), witness, daemons = make_cluster(harness, synchronous="on",
                                                       primary_isolation_fencing="false")
    wait_until(lambda: primary.sql_one("SHOW synchronous_standby_names") == NODE2,
               timeout=30, what="node2 named")
    s3.stop()
    s2.stop()
    wait_until(lambda: primary.sql_one("SHOW synchronous_standby_names") == "",
               timeout=30, what="the fallback to asynchronous commits")
    wait_until(lambda: events(primary, "repmgrd_synchronous_fallback"), what="fallback event")
    assert "falling back to asynchronous commits" in daemons["node1"].log()
    assert record(primary) == [2], "the record keeps the standby that acknowledged commits"
    primary.sql("CREATE TABLE t (i int)", dbname="repmgr")  # commits do not wait
    s2.start()
    wait_until(lambda: primary.sql_one("SHOW synchronous_standby_names") == NODE2,
               timeout=30, what="node2 named again once back and caught up")


@pytest.mark.slow
def test_lag_bound_keeps_lagging_standbys_from_promoting(harness):
    """failover_max_lag_bytes (asynchronous): both standbys stopped receiving
    WAL, the primary wrote 8 MB more and died. Neither may be promoted: each
    would lose more than the bound, and the election says so."""
    primary, (s2, s3), _, daemons = make_cluster(harness, failover_max_lag_bytes=1048576)
    for s in (s2, s3):
        # A WAL receiver that cannot reconnect: the standby falls behind.
        s.sql("ALTER SYSTEM SET primary_conninfo = 'host=127.0.0.1 port=1 user=repmgr'")
        s.sql("SELECT pg_reload_conf()")
    wait_until(lambda: not streams_from(primary, "node2") and not streams_from(primary, "node3"),
               timeout=30, what="the standbys to stop streaming")
    primary.sql("CREATE TABLE big AS SELECT i, repeat('x', 40) AS pad "
                "FROM generate_series(1, 100000) i", dbname="repmgr")
    time.sleep(3)  # each standby's repmgrd reads the primary's position on every tick
    primary.kill9()
    wait_until(lambda: "failover_max_lag_bytes" in daemons["node2"].log() and
               "failover_max_lag_bytes" in daemons["node3"].log(),
               timeout=60, what="both standbys to name the lag bound")
    time.sleep(5)
    assert not writable(s2) and not writable(s3), "a standby past the lag bound was promoted"
    assert "may miss" in daemons["node2"].log()
