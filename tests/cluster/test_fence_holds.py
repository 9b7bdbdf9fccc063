"""A fence that holds (issue 15): an isolated primary ends the client sessions
that were open when its fence went up, is restarted as a standby once
fence_demote_timeout has passed (recovery refuses writes whatever a session
sets), is never writable while the other side has a primary, and rejoins it
after the heal. A real network cut: the fault suite's namespaces (root only)."""

import os
import shutil
import signal
import sys
import time

import pytest

from pylib.conf import notified
from pylib.harness import Harness, thaw
from pylib.procs import pids_by_cmdline
from pylib.queries import events, writable
from pylib.wait import wait_until

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "faults"))
from faultlib.history import WritableSampler  # noqa: E402
from faultlib.netlab import NetLab  # noqa: E402
from faultlib.nscluster import FaultCluster  # noqa: E402


@pytest.fixture
def ns_cluster(prefix, template_cache):
    if os.geteuid() != 0:
        pytest.skip("a network cut needs root (network namespaces)")
    harness = Harness(prefix, template_cache)
    lab = NetLab().create()
    cl = FaultCluster(harness, lab)
    try:
        cl.build()
        yield cl
    finally:
        try:
            harness.teardown()
        finally:
            cl.teardown()
            lab.destroy()
            shutil.rmtree(harness.base, ignore_errors=True)


@pytest.mark.slow
def test_isolated_primary_is_demoted_and_rejoins(ns_cluster):
    cl = ns_cluster
    p = cl.primary()
    assert p is not None and p.name == "node1"
    # A client that turned the read-only default off before the fence.
    session = p.connect(dbname="repmgr")
    session.execute("SET default_transaction_read_only = off")
    session.execute("CREATE TABLE fence_session (i int)")
    cut = time.time()
    cl.lab.isolate(p.host)
    sampler = WritableSampler(cl.data)  # every 100 ms, spans compared
    try:
        def session_ended():
            try:
                session.execute("INSERT INTO fence_session VALUES (1)")
                return False
            except Exception:  # noqa: BLE001 - terminated by the fence (or demoted)
                return True
        wait_until(session_ended, timeout=30, interval=0.2,
                   what="the session opened before the fence to be ended")
        wait_until(lambda: p.running() and p.sql_one("SELECT pg_is_in_recovery()"),
                   timeout=30, interval=0.2, what="the isolated primary to be in recovery")
        demoted_after = time.time() - cut
        assert os.path.exists(os.path.join(p.datadir, "repmgr_fence_demoted"))
        # repmgrd records the event once its restart of the server returns,
        # and the notification command runs after that: the server may
        # answer in recovery a moment before the line is written.
        wait_until(lambda: notified(p, "repmgrd_isolation_fence_demote"), timeout=15,
                   interval=0.2, what="the repmgrd_isolation_fence_demote notification")
        new = wait_until(lambda: next((n for n in cl.data if n is not p and writable(n, 2)), None),
                         timeout=60, interval=0.2, what="a standby to take over")
        promoted_after = time.time() - cut
        time.sleep(3)  # the other side has a primary: the old one stays in recovery
        assert p.sql_one("SELECT pg_is_in_recovery()")
    finally:
        cl.lab.heal()
        sampler.stop()
    assert sampler.overlaps() == [], "two writable primaries"
    spans = sampler.writable_spans()
    last = spans[p.name][1] - cut if p.name in spans else None
    first_new = spans[new.name][0] - cut
    assert last is None or last < first_new
    print(f"old primary last writable +{last:.1f} s, in recovery +{demoted_after:.1f} s; "
          f"new primary {new.name} writable +{first_new:.1f} s after the cut")
    assert cl.wait_converged(90) == [], "the old primary did not rejoin the new one"
    assert not os.path.exists(os.path.join(p.datadir, "repmgr_fence_demoted"))
    assert any(ok for _, ok in events(new, "repmgrd_isolation_fence_restore"))


@pytest.mark.slow
def test_guard_fences_a_primary_whose_repmgrd_was_killed(ns_cluster):
    """Issue 21: repmgrd of the primary killed with -9, then the primary cut
    off. Its guard (guard_timeout=2 in the fault cluster) fences and demotes it
    before a standby takes over; the restarted repmgrd rejoins it."""
    cl = ns_cluster
    p = cl.primary()
    log = os.path.join(p.confdir, "repmgrd.log")
    wait_until(lambda: "guard (pid" in open(log).read(), timeout=30, what="the guard to start")
    # Only the primary is guarded: the witness runs a writable server too, and
    # a guard there would make it read-only once another node is promoted.
    for other in cl.data + [cl.witness]:
        if other is p:
            continue
        conf = os.path.join(other.confdir, "repmgr.conf").encode()
        assert pids_by_cmdline(lambda c: b"--guard" in c and conf in c) == [], other.name
        assert "guard" not in open(os.path.join(other.confdir, "repmgrd.log")).read(), other.name
    d = cl.daemons[p.name]
    d.signal(signal.SIGKILL)
    d.wait(10)
    time.sleep(3)  # the heartbeat is older than guard_timeout now
    sampler = WritableSampler(cl.data)
    cut = time.time()
    cl.lab.isolate(p.host)
    try:
        wait_until(lambda: p.running() and p.sql_one("SELECT pg_is_in_recovery()"),
                   timeout=30, interval=0.2, what="the guard to demote the isolated primary")
        demoted_after = time.time() - cut
        # The notification command runs off the guard's path (queued): it
        # may land a moment after the restart the test saw.
        wait_until(lambda: notified(p, "repmgrd_guard_fence") and
                   notified(p, "repmgrd_isolation_fence_demote"), timeout=10, interval=0.2,
                   what="the guard's fence and demotion notifications")
        new = wait_until(lambda: next((n for n in cl.data if n is not p and writable(n, 2)), None),
                         timeout=60, interval=0.2, what="a standby to take over")
    finally:
        cl.lab.heal()
        sampler.stop()
    assert sampler.overlaps() == [], "two writable primaries"
    spans = sampler.writable_spans()
    first_new = spans[new.name][0] - cut
    assert demoted_after < first_new
    print(f"guard: demoted +{demoted_after:.1f} s, new primary {new.name} writable "
          f"+{first_new:.1f} s after the cut")
    cl.start_repmgrd(p)  # systemd restarts it: it finds the marker and rejoins
    assert cl.wait_converged(90) == [], "the old primary did not rejoin the new one"


@pytest.mark.slow
def test_primary_frozen_until_a_standby_takes_over_never_writes_again(ns_cluster):
    """A primary frozen (SIGSTOP of every server process) and thawed the moment
    a standby is promoted, with a client session open across the freeze:
    its repmgrd queued an immediate stop once the
    server had given no answer for guard_timeout (2 s in the fault cluster),
    and the standbys wait longer than that from their last contact, so the
    thawed server dies before it runs a statement; it starts as a standby and
    rejoins. Without the stop the old primary took writes until its repmgrd's
    next tick saw the new primary (the fault suite's sigstop_long, 1 run in
    about 40)."""
    cl = ns_cluster
    p = cl.primary()
    log = os.path.join(p.confdir, "repmgrd.log")
    # Its repmgrd has seen it answer as the primary (it starts the guard then).
    wait_until(lambda: "guard (pid" in open(log).read(), timeout=30, what="the guard to start")
    standbys = [n for n in cl.data if n is not p]
    sessions = {}

    def promoted():
        # Open sessions polled every 20 ms: the thaw follows pg_promote() by
        # far less than a repmgrd tick (a new connection per poll would not).
        for n in standbys:
            try:
                if n.name not in sessions:
                    sessions[n.name] = n.connect(timeout=1)
                if not sessions[n.name].execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                    return n
            except Exception:  # noqa: BLE001 - restarted by a follow: reconnect next time
                sessions.pop(n.name, None)
        return None

    # A client session open across the freeze, as an application's pool
    # keeps them: it must not commit once the server runs again.
    session = p.connect(dbname="repmgr")
    session.execute("SET default_transaction_read_only = off")
    session.execute("SET synchronous_commit = local")
    session.execute("CREATE TABLE frozen_session (i int)")
    sampler = WritableSampler(cl.data)
    pids = p.freeze()
    frozen_at = time.time()
    try:
        new = wait_until(promoted, timeout=60, interval=0.02,
                         what="a standby to take over the frozen primary\n" + cl.logs(60))
    finally:
        thaw(pids)
        for c in sessions.values():
            c.close()
    thawed_after = time.time() - frozen_at
    try:
        session.execute("INSERT INTO frozen_session VALUES (1)")
        wrote_after_thaw = True
    except Exception:  # noqa: BLE001 - ended by the queued stop: the expected outcome
        wrote_after_thaw = False
    assert not wrote_after_thaw, \
        f"the old primary committed a write after {new.name}'s promotion\n" + cl.logs(60)
    time.sleep(5)  # long enough for a thawed writable server to be sampled
    sampler.stop()
    assert sampler.overlaps() == [], "two writable primaries\n" + cl.logs(60)
    spans = sampler.writable_spans()
    assert p.name not in spans or spans[p.name][1] < frozen_at, \
        f"the old primary answered writable {spans[p.name][1] - frozen_at:.1f} s after its freeze"
    text = open(log).read()
    assert "its server has not answered for" in text and "an immediate stop queued" in text
    print(f"frozen primary thawed {thawed_after:.1f} s after the freeze, right after "
          f"{new.name}'s promotion; never writable again")
    assert cl.wait_converged(90) == [], "the old primary did not rejoin the new one"
