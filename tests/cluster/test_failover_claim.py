"""A failover claim whose winner does not promote must not block the cluster,
and must never cause two writable primaries.

The winner (node2: equal positions and priorities, lowest id) is stopped at a
precise point by a trap on the witness: a trigger on repl_failover_claim that
signals node2's repmgrd from inside the witness server (COPY ... TO PROGRAM
"kill"), at the very statement the scenario needs. That is deterministic where
a test watching from outside would race with the daemon by milliseconds."""

import os
import signal

import pytest

from pylib.clusters import WritableSampler, make_cluster
from pylib.harness import PG_BIN
from pylib.queries import WITH_DETAILS, events, read_only_by_default, streams_from, writable
from pylib.wait import wait_until

# with master_response_timeout=2 a claim must be confirmed within 7 s
CONFIRM_WITHIN_S = 7

TRAP_SQL = """
CREATE TABLE public.claim_trap (node_id int, pid int, signal text, on_op text,
                                fired boolean NOT NULL DEFAULT false);
CREATE FUNCTION public.claim_trap_fn() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE t record;
BEGIN
  SELECT * INTO t FROM public.claim_trap
   WHERE node_id = NEW.winner_node_id AND on_op = TG_OP AND NOT fired;
  IF NOT FOUND THEN RETURN NEW; END IF;
  IF TG_OP = 'UPDATE' AND (OLD.confirmed_at IS NOT NULL OR NEW.confirmed_at IS NULL) THEN
    RETURN NEW;
  END IF;
  UPDATE public.claim_trap SET fired = true WHERE node_id = t.node_id AND on_op = TG_OP;
  EXECUTE format('COPY (SELECT 1) TO PROGRAM %L', 'kill -' || t.signal || ' ' || t.pid);
  IF TG_OP = 'UPDATE' THEN
    RETURN NULL;  -- the confirmation never lands
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER claim_trap_confirm BEFORE UPDATE ON repmgr_test.repl_failover_claim
  FOR EACH ROW EXECUTE FUNCTION public.claim_trap_fn();
CREATE TRIGGER claim_trap_claim AFTER INSERT ON repmgr_test.repl_failover_claim
  FOR EACH ROW EXECUTE FUNCTION public.claim_trap_fn();
"""


def set_trap(witness, node_id, pid, signal_name, on_op):
    witness.sql(TRAP_SQL, dbname="repmgr")
    add_trap(witness, node_id, pid, signal_name, on_op)


def add_trap(witness, node_id, pid, signal_name, on_op):
    """A second trap (set_trap installs the trigger and the first one)."""
    witness.sql("INSERT INTO public.claim_trap (node_id, pid, signal, on_op) "
                "VALUES (%s, %s, %s, %s)", (node_id, pid, signal_name, on_op), dbname="repmgr")


def fired_for(witness):
    """The node whose trap fired, if one did."""
    return witness.sql_one("SELECT node_id FROM public.claim_trap WHERE fired LIMIT 1",
                           dbname="repmgr")


def trap_fired(witness):
    return witness.sql_one("SELECT bool_or(fired) FROM public.claim_trap", dbname="repmgr")


def claim_row(witness):
    rows = witness.sql("SELECT winner_node_id, confirmed_at IS NOT NULL, "
                       "superseded_node_ids::text FROM repmgr_test.repl_failover_claim",
                       dbname="repmgr")
    return rows[0] if rows else None


@pytest.mark.slow
def kill_when_caught_up(primary, standbys):
    """kill -9 of the primary at a moment both standbys have received all of
    its WAL: the repmgrd heartbeats write a little WAL every second, and a
    standby a few bytes ahead would win the election instead of node2."""
    def caught_up():
        target = primary.sql_one("SELECT pg_current_wal_flush_lsn()::text")
        return all(s.sql_one("SELECT pg_last_wal_receive_lsn()::text") == target
                   for s in standbys)
    wait_until(caught_up, timeout=30, interval=0.02, what="both standbys to catch up")
    primary.kill9()


def test_winner_killed_before_confirming_is_taken_over(harness):
    primary, (s2, s3), witness, daemons = make_cluster(harness)
    # node2's repmgrd dies (kill -9) when it confirms its claim, right before
    # it would promote: the claim stays unconfirmed.
    set_trap(witness, 2, daemons["node2"].pid, "9", "UPDATE")
    sampler = WritableSampler([primary, s2, s3])
    try:
        primary.sql("CREATE TABLE t (i int)", dbname="repmgr")
        primary.sql("INSERT INTO t SELECT generate_series(1, 10)", dbname="repmgr")
        wait_until(lambda: s3.sql_one("SELECT count(*) FROM t", dbname="repmgr") == 10 and
                   s2.sql_one("SELECT count(*) FROM t", dbname="repmgr") == 10,
                   what="standbys to replay")
        kill_when_caught_up(primary, (s2, s3))
        wait_until(lambda: trap_fired(witness), timeout=60, what="node2 to claim and confirm")
        wait_until(lambda: not daemons["node2"].alive(), timeout=10,
                   what="node2's repmgrd to die")
        # Bound: the claim's deadline, then a tick or two, the takeover and pg_promote.
        wait_until(lambda: writable(s3), timeout=CONFIRM_WITHIN_S + 30,
                   what="node3 to take the claim over and promote")
        assert s2.in_recovery()
        assert claim_row(witness) == (3, True, "{2}")
        taken = wait_until(lambda: events(s3, "repmgrd_failover_claim_superseded", WITH_DETAILS),
                           what="the takeover event on the new primary")
        assert taken[0][:2] == (3, True)
        assert "node 3 took over the failover claim of node 2" in taken[0][2]
        assert events(s3, "repmgrd_failover_promote")[0][:2] == (3, True)
        log3 = daemons["node3"].log()
        assert "the claim of node 2 on the failover of node 1 (timeline 1) expired " \
               "unconfirmed" in log3
        # node2's repmgrd, restarted, follows the node that took over
        daemons["node2"] = harness.start_repmgrd(s2)
        wait_until(lambda: streams_from(s3, s2.name), timeout=60, what="node2 to follow node3")
        s3.sql("INSERT INTO t VALUES (11)", dbname="repmgr")
        wait_until(lambda: s2.sql_one("SELECT count(*) FROM t", dbname="repmgr") == 11,
                   what="node2 to replay the new primary's write")
    finally:
        worst = sampler.stop()
    assert worst <= 1, f"two writable primaries seen: {sampler.seen}"


@pytest.mark.slow
def test_winner_stopped_past_its_deadline_does_not_promote_late(harness):
    # Whichever standby claims first is frozen right after its claim (on a
    # loaded machine either may rank first). The other one's promotion takes
    # a while (its promote_command sleeps first), so that the frozen one,
    # woken up after the other took over and confirmed, gets through its
    # sibling check (the other still in recovery) and reaches its own
    # confirmation: which must fail.
    per_node = {}
    for node_id in (2, 3):
        data = os.path.join(harness.base, f"node{node_id}", "data")
        per_node[node_id] = {"promote_command": f"'sleep 15 && {PG_BIN}/pg_ctl -D {data} -w promote'"}
    primary, (s2, s3), witness, daemons = make_cluster(harness, per_node=per_node)
    set_trap(witness, 2, daemons["node2"].pid, "STOP", "INSERT")
    add_trap(witness, 3, daemons["node3"].pid, "STOP", "INSERT")
    sampler = WritableSampler([primary, s2, s3])
    stopped = None
    try:
        kill_when_caught_up(primary, (s2, s3))
        frozen_id = wait_until(lambda: fired_for(witness), timeout=60, what="a standby to claim")
        frozen, other = (s2, s3) if frozen_id == 2 else (s3, s2)
        other_id = 5 - frozen_id
        stopped = daemons[frozen.name]
        wait_until(lambda: claim_row(witness) == (other_id, True, f"{{{frozen_id}}}"),
                   timeout=CONFIRM_WITHIN_S + 30,
                   what=f"{other.name} to take over and confirm the claim")
        assert not writable(other)  # still sleeping in its promote_command
        stopped.signal(signal.SIGCONT)
        wait_until(lambda: "was taken over by another node before it could be confirmed" in
                   stopped.log(), timeout=20, what=f"{frozen.name} to fail its confirmation")
        wait_until(lambda: writable(other), timeout=60, what=f"{other.name} to promote")
        assert frozen.in_recovery()
        wait_until(lambda: streams_from(other, frozen.name), timeout=60,
                   what=f"{frozen.name} to follow {other.name}")
        assert "failover claim confirmed on the witness: promoting" not in stopped.log()
    finally:
        for d in (daemons["node2"], daemons["node3"]):
            d.signal(signal.SIGCONT)
        worst = sampler.stop()
    assert worst <= 1, f"two writable primaries seen: {sampler.seen}"


@pytest.mark.slow
def test_daemon_unpause_on_a_read_only_fenced_primary(harness):
    primary, (s2, s3), witness, daemons = make_cluster(harness)
    assert harness.repmgr("daemon", "pause", conf=s2.conf).returncode == 0
    # the primary's only configuration says read-only (as an isolation fence leaves it)
    primary.sql("ALTER SYSTEM SET default_transaction_read_only = on")
    primary.sql("SELECT pg_reload_conf()")
    wait_until(lambda: read_only_by_default(primary), what="the primary to be read-only")
    r = harness.repmgr("daemon", "unpause", conf=s2.conf)
    assert r.returncode == 0, r.stderr
    assert primary.sql_one("SELECT count(*) FROM repmgr_test.repl_daemon WHERE paused",
                           dbname="repmgr") == 0
    assert events(primary, "repmgrd_unpause")


OLD_CLAIM_TABLE = """ALTER TABLE repmgr_test.repl_failover_claim DROP COLUMN promote_by,
  DROP COLUMN confirmed_at, DROP COLUMN superseded_node_ids"""


@pytest.mark.slow
def test_witness_with_a_schema_3_claim_table_is_upgraded_and_still_arbitrates(harness):
    primary, (s2, s3), witness, daemons = make_cluster(harness)
    # A witness registered by the previous version: re-registering upgrades it.
    witness.sql(OLD_CLAIM_TABLE, dbname="repmgr")
    r = harness.repmgr(*primary.conn_args(), "witness", "register", conf=witness.conf)
    assert r.returncode == 0, r.stderr
    cols = {c for (c,) in witness.sql(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'repmgr_test' "
        "AND table_name = 'repl_failover_claim'", dbname="repmgr")}
    assert {"promote_by", "confirmed_at", "superseded_node_ids"} <= cols
    assert witness.sql_one("SELECT max(version) FROM repmgr_test.repl_schema_version",
                           dbname="repmgr") == 9
    # Not upgraded: the failover still works, with first-claim-is-final claims.
    witness.sql(OLD_CLAIM_TABLE, dbname="repmgr")
    sampler = WritableSampler([primary, s2, s3])
    try:
        primary.kill9()
        wait_until(lambda: writable(s2), timeout=60, what="node2 to promote")
        wait_until(lambda: streams_from(s2, s3.name), timeout=60, what="node3 to follow node2")
        assert witness.sql("SELECT failed_primary_id, winner_node_id FROM "
                           "repmgr_test.repl_failover_claim", dbname="repmgr") == [(1, 2)]
    finally:
        worst = sampler.stop()
    assert worst <= 1, f"two writable primaries seen: {sampler.seen}"
