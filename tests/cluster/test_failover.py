"""repmgrd automatic failover on real servers: a primary, two standbys and a
witness, repmgrd on every node. Throughout each test a sampler checks that at
most one server accepts writes at any moment."""

import os
import threading
import time

import pytest

from pylib.clusters import WritableSampler, make_cluster
from pylib.conf import notified
from pylib.queries import (events, fence_in_config, read_only_by_default, streams_from,
                           writable)
from pylib.wait import wait_until

@pytest.mark.slow
def test_kill9_primary_one_standby_promotes_the_other_follows(harness):
    primary, (s2, s3), witness, daemons = make_cluster(harness)
    sampler = WritableSampler([primary, s2, s3])
    try:
        primary.sql("CREATE TABLE t (i int)", dbname="repmgr")
        primary.sql("INSERT INTO t SELECT generate_series(1, 100)", dbname="repmgr")
        wait_until(lambda: s2.sql_one("SELECT count(*) FROM t", dbname="repmgr") == 100 and
                   s3.sql_one("SELECT count(*) FROM t", dbname="repmgr") == 100,
                   what="standbys to replay")
        primary.kill9()
        new = wait_until(lambda: [s for s in (s2, s3) if writable(s)], timeout=60,
                         what="a new primary")
        assert len(new) == 1
        winner = new[0]
        other = s3 if winner is s2 else s2
        # equal WAL positions and priorities: the lowest id wins
        assert winner is s2
        wait_until(lambda: streams_from(winner, other.name), timeout=60,
                   what=f"{other.name} to stream from {winner.name}")
        assert other.in_recovery()
        promoted = wait_until(lambda: events(winner, "repmgrd_failover_promote"),
                              what="promote event")
        assert promoted[0][:2] == (2, True)
        # A CHECKPOINT follows the promotion: pg_control names the new timeline
        # (a later pg_rewind of this node reads it from there).
        wait_until(lambda: winner.sql_one("SELECT timeline_id FROM pg_control_checkpoint()") == 2,
                   timeout=20, what="pg_control of the new primary to name timeline 2")
        followed = wait_until(lambda: events(winner, "repmgrd_failover_follow"),
                              what="follow event")
        assert followed[0][:2] == (3, True)
        # The notification command runs right after the event row is written.
        wait_until(lambda: notified(winner, "repmgrd_failover_promote"),
                   what="promote notification")
        wait_until(lambda: notified(other, "repmgrd_failover_follow"),
                   what="follow notification")
        # metadata: one active master, the old one inactive, node3 upstream node2
        rows = winner.sql("SELECT id, type, active, upstream_node_id FROM repmgr_test.repl_nodes "
                          "WHERE type <> 'witness' ORDER BY id", dbname="repmgr")
        assert rows == [(1, "master", False, None), (2, "master", True, None),
                        (3, "standby", True, 2)]
        assert winner.sql("SELECT upstream_node_id FROM repmgr_test.repl_nodes "
                          "WHERE type = 'witness'", dbname="repmgr") == [(2,)]
        # writes on the new primary reach the follower
        winner.sql("INSERT INTO t VALUES (101)", dbname="repmgr")
        wait_until(lambda: other.sql_one("SELECT count(*) FROM t", dbname="repmgr") == 101,
                   what="the follower to replay the new primary's write")
        # the witness arbitrated exactly one claim for this term
        claims = witness.sql("SELECT failed_primary_id, winner_node_id FROM "
                             "repmgr_test.repl_failover_claim", dbname="repmgr")
        assert claims == [(1, 2)]
        assert "I will not fail over" not in daemons["node2"].log()
    finally:
        worst = sampler.stop()
    assert worst <= 1, f"two writable primaries seen: {sampler.seen}"


@pytest.mark.slow
def test_priority_zero_never_promotes(harness):
    primary, (s2, s3), _, daemons = make_cluster(harness, priorities=(0, 100))
    sampler = WritableSampler([primary, s2, s3])
    try:
        primary.kill9()
        wait_until(lambda: writable(s3), timeout=60, what="node3 (priority 100) to promote")
        wait_until(lambda: streams_from(s3, s2.name), timeout=60, what="node2 to follow node3")
        assert s2.in_recovery()
        assert "this node ranks first among 1 candidate(s)" in daemons["node3"].log()
    finally:
        worst = sampler.stop()
    assert worst <= 1, f"two writable primaries seen: {sampler.seen}"


@pytest.mark.slow
def test_failover_manual_only_reports(harness):
    primary, (s2, s3), _, daemons = make_cluster(harness, failover="manual", loglevel="DEBUG")
    primary.kill9()
    for s in (s2, s3):
        wait_until(lambda s=s: notified(s, "standby_disconnect_manual"), timeout=60,
                   what=f"standby_disconnect_manual on {s.name}")
    # a few more ticks: still nobody acts
    for s in (s2, s3):
        log_len = len(daemons[s.name].log())
        wait_until(lambda s=s, n=log_len: len(daemons[s.name].log()) > n, timeout=30,
                   what="another monitoring tick")
    assert s2.in_recovery() and s3.in_recovery()
    assert not notified(s2, "repmgrd_failover_promote")
    assert "failover=manual" in daemons["node2"].log()


@pytest.mark.slow
def test_standby_that_sees_no_majority_does_not_promote(harness):
    primary, (s2, s3), witness, daemons = make_cluster(harness)
    daemons["witness"].stop()
    witness.stop()
    daemons["node3"].stop()
    s3.stop()
    primary.kill9()
    aborts = wait_until(lambda: notified(s2, "repmgrd_failover_abort"), timeout=60,
                        what="repmgrd_failover_abort on node2")
    assert len(aborts) == 1
    log = daemons["node2"].log()
    assert "I will not fail over because I can see only 1 of 4 voting members" in log
    # it keeps re-electing (and refusing) without recording the abort again
    wait_until(lambda: daemons["node2"].log().count("from degraded to electing") >= 2, timeout=60,
               what="a re-election")
    assert s2.in_recovery()
    assert len(notified(s2, "repmgrd_failover_abort")) == 1


@pytest.mark.slow
def test_returning_old_primary_is_fenced_and_rejoined(harness):
    primary, (s2, s3), _, daemons = make_cluster(harness)
    primary.sql("CREATE TABLE t (i int)", dbname="repmgr")
    primary.kill9()
    wait_until(lambda: writable(s2), timeout=60, what="node2 to promote")
    wait_until(lambda: streams_from(s2, s3.name), timeout=60, what="node3 to follow node2")
    sampler = WritableSampler([primary, s2, s3])
    try:
        # its repmgrd (still running) saw node2 take over while its server was
        # down: the server comes back in recovery, not as a read-only primary
        wait_until(lambda: os.path.exists(os.path.join(primary.datadir, "standby.signal")),
                   timeout=30, what="standby.signal in the old primary's data directory")
        primary.start()
        assert primary.in_recovery()
        wait_until(lambda: primary.running() and primary.in_recovery() and
                   streams_from(s2, primary.name), timeout=90,
                   what="the old primary to rejoin as a standby of node2")
        rejoined = wait_until(lambda: events(s2, "node_rejoin"), what="node_rejoin event")
        assert rejoined[-1][:2] == (1, True)
        s2.sql("INSERT INTO t VALUES (1)", dbname="repmgr")
        wait_until(lambda: primary.sql_one("SELECT count(*) FROM t", dbname="repmgr") == 1,
                   what="the rejoined node to replay")
        rows = s2.sql("SELECT id, type, active, upstream_node_id FROM repmgr_test.repl_nodes "
                      "WHERE id = 1", dbname="repmgr")
        assert rows == [(1, "standby", True, 2)]
        # never a primary again, so no split brain; the way back is recorded
        assert events(s2, "repmgrd_split_brain_detected") == []
        assert (1, True) in events(s2, "repmgrd_isolation_fence_restore")
        assert not os.path.exists(os.path.join(primary.datadir, "repmgr_fence_demoted"))
        # fenced read-only while down as well; as a standby the fence is lifted
        assert ("default_transaction_read_only = 'on' written to" in daemons["node1"].log())
        wait_until(lambda: not fence_in_config(primary),
                   what="the read-only fence to be lifted on the rejoined standby")
    finally:
        worst = sampler.stop()
    assert worst <= 1, f"two writable primaries seen: {sampler.seen}"


@pytest.mark.slow
def test_returning_old_primary_with_fencing_stop_is_stopped(harness):
    primary, (s2, s3), _, daemons = make_cluster(harness, primary_fencing="stop")
    primary.kill9()
    wait_until(lambda: writable(s2), timeout=60, what="node2 to promote")
    primary.start()
    wait_until(lambda: events(s2, "repmgrd_split_brain_detected"), timeout=60,
               what="split brain recorded on the new primary")
    wait_until(lambda: not primary.running(), timeout=60, what="the old primary to be stopped")
    assert writable(s2)


@pytest.mark.slow
def test_isolated_primary_turns_read_only_and_back(harness):
    # The read-only fence alone (never demoted): test_fence_holds.py has the demotion.
    primary, (s2, s3), witness, daemons = make_cluster(harness, fence_demote_timeout=0)
    # the primary loses sight of every standby and of the witness
    for s in (s2, s3, witness):
        s.stop()
    wait_until(lambda: primary.running() and read_only_by_default(primary), timeout=60,
               what="the isolated primary to become read-only")
    assert events(primary, "repmgrd_isolation_fence")[0][:2] == (1, True)
    assert "making it read-only before a standby can be promoted" in daemons["node1"].log()
    # they come back: no other primary exists, so the fence is lifted
    for s in (s2, s3, witness):
        s.start()
    wait_until(lambda: writable(primary), timeout=60, what="the fence to be lifted")
    wait_until(lambda: events(primary, "repmgrd_isolation_fence_lifted"), what="lift event")
    primary.sql("CREATE TABLE after_fence (i int)", dbname="repmgr")


@pytest.mark.slow
def test_primary_seeing_only_the_witness_turns_read_only(harness):
    """Both standbys gone, the witness still there: the standbys and the
    witness are 3 of the 4 voting members and could elect a new primary, so
    the primary fences itself (it used to keep writing while it saw anyone)."""
    primary, (s2, s3), witness, daemons = make_cluster(harness, fence_demote_timeout=0)
    for s in (s2, s3):
        s.stop()
    wait_until(lambda: primary.running() and read_only_by_default(primary), timeout=60,
               what="the primary that sees only the witness to become read-only")
    assert ("sees only 1 of its 3 standby/witness node(s), the witness among them"
            in daemons["node1"].log())
    for s in (s2, s3):
        s.start()
    wait_until(lambda: writable(primary), timeout=60, what="the fence to be lifted")
    wait_until(lambda: events(primary, "repmgrd_isolation_fence_lifted"), what="lift event")


def writable_by_default(node):
    """A primary whose new sessions may write without asking: its fence is down."""
    try:
        return node.sql_one("SELECT NOT pg_is_in_recovery() AND "
                            "current_setting('default_transaction_read_only') = 'off'")
    except Exception:  # noqa: BLE001 - down, starting, stopping
        return False


@pytest.mark.slow
def test_fence_stays_while_a_standby_claims_the_failover(harness):
    """bugs.md entry 18: a standby whose election began before the heal
    claims the term and promotes a moment after it. The fenced primary must
    not lift its fence then: it holds its own term while lifting, and a live
    claim of another node keeps the fence up until that node is promoted.
    (Never demoted here, so its fence is the read-only default: "writable"
    means writable by default for it.)"""
    primary, (s2, s3), witness, daemons = make_cluster(harness, fence_demote_timeout=0)
    for s in (s2, s3, witness):
        s.stop()
    wait_until(lambda: primary.running() and read_only_by_default(primary), timeout=60,
               what="the isolated primary to become read-only")
    witness.start()  # with the witness alone: 2 of 4 members, no majority
    # node2's claim, as its election writes it: unconfirmed, 30 s to confirm
    witness.sql("INSERT INTO repmgr_test.repl_failover_claim (failed_primary_id, "
                "primary_timeline, winner_node_id, promote_by) "
                "VALUES (1, 1, 2, now() + interval '30 s')", dbname="repmgr")
    both = []
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            if writable_by_default(primary) and writable(s2, timeout=2):
                both.append(time.time())
            stop.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        # node3 back: with it and the witness the primary sees a majority,
        # while node2, whose claim it is, is still down and cannot promote yet
        s3.start()
        wait_until(lambda: "node 2 has claimed its failover (timeline 1) on the witness: the "
                   "read-only fence stays" in daemons["node1"].log(), timeout=60,
                   what="the primary to see the claim and keep its fence")
        time.sleep(3)  # a few more of its ticks
        assert read_only_by_default(primary)
        # node2 back: it finds the primary still fenced and completes its failover
        s2.start()
        wait_until(lambda: writable(s2), timeout=60, what="node2 to be promoted")
        wait_until(lambda: primary.running() and primary.in_recovery() and
                   streams_from(s2, primary.name), timeout=90,
                   what="the old primary to rejoin node2")
    finally:
        stop.set()
        sampler.join(10)
    assert not both, "node1 writable by default while node2 was writable"
    assert "and no other primary: lifting the read-only fence" not in daemons["node1"].log()
