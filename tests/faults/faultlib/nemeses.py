"""The nemeses: each breaks the cluster in one way, with random timing, then
heals what it broke (and only that: a node's repmgrd must bring the cluster
back; where a real DBA would have to act, the nemesis says so in its notes).
Each returns a Fault (faultlib/liveness.py): the time the fault began, notes
for the report, and whether the rules require a failover (a primary killed,
or frozen or cut off from a healthy majority for longer than the detection
time), which the run's liveness check then holds it to."""

import os
import signal
import subprocess
import time

from pylib.harness import thaw
from pylib.queries import SCHEMA
from pylib.wait import wait_until

from faultlib.liveness import Fault, stall_must_fail_over_s
from faultlib.netlab import random_split

FAILOVER_WAIT = 60


def wait_new_primary(cl, old, timeout=FAILOVER_WAIT):
    """The node that took over from `old`, or None when none did in time."""
    try:
        return wait_until(lambda: next((n for n in cl.writable_nodes() if n is not old), None),
                          timeout=timeout, interval=0.2, what="a new primary")
    except AssertionError:
        return None


def restart_old_primary(cl, old, notes):
    if not old.running():
        old.start(wait=False)
        notes.append(f"restarted {old.name}'s server (as after a reboot)")


def kill9_primary(cl, rng):
    p = cl.primary()
    notes = []
    t = time.time()
    p.kill9()
    new = wait_new_primary(cl, p)
    notes.append(f"{p.name} killed; new primary {new.name if new else 'NONE'}")
    time.sleep(rng.uniform(0, 3))
    restart_old_primary(cl, p, notes)
    return Fault(t, notes, True, f"{p.name} was killed")


def sigstop(lo, hi):
    def nemesis(cl, rng):
        p = cl.primary()
        secs = rng.uniform(lo, hi)
        t = time.time()
        pids = p.freeze()
        time.sleep(secs)
        thaw(pids)
        after = cl.writable_nodes()
        return stall(cl, t, secs, [f"{p.name} frozen for {secs:.1f} s; writable right after: "
                                   f"{[n.name for n in after]}"], f"{p.name} was frozen")
    return nemesis


def stall(cl, t, secs, notes, what):
    """The Fault of a primary frozen or cut off from a healthy majority for
    `secs`: a failover is required once that is past the detection time."""
    need = stall_must_fail_over_s(cl.settings)
    return Fault(t, notes, secs >= need, f"{what} for {secs:.1f} s (>= {need} s)")


def isolate(pick, lo, hi):
    def nemesis(cl, rng):
        was_primary = cl.primary()
        host_node = pick(cl, rng)
        secs = rng.uniform(lo, hi)
        t = time.time()
        cl.lab.isolate(host_node.host)
        time.sleep(secs)
        cl.lab.heal()
        notes = [f"{host_node.name} isolated for {secs:.1f} s"]
        if host_node is was_primary:  # the other three are a healthy majority
            return stall(cl, t, secs, notes, f"the primary {host_node.name} was isolated")
        return Fault(t, notes)
    return nemesis


def pick_primary(cl, rng):
    return cl.primary()


def pick_standby(cl, rng):
    return rng.choice(cl.standbys())


def pick_witness(cl, rng):
    return cl.witness


def split_2_2(cl, rng):
    a, b = random_split(rng, cl.data + [cl.witness])
    secs = rng.uniform(5, 10)
    t = time.time()
    cl.lab.partition([n.host for n in a], [n.host for n in b])
    time.sleep(secs)
    cl.lab.heal()
    return Fault(t, [f"split {[n.name for n in a]} | {[n.name for n in b]} for {secs:.1f} s"])


def oneway_loss(cl, rng):
    p = cl.primary()
    percent = rng.randint(30, 70)
    secs = rng.uniform(5, 10)
    others = [n.host for n in cl.data + [cl.witness] if n is not p] + [cl.client]
    t = time.time()
    cl.lab.drop_from(p.host, others, percent)
    time.sleep(secs)
    cl.lab.heal()
    return Fault(t, [f"{percent}% of {p.name}'s outgoing packets dropped for {secs:.1f} s"])


def kill_repmgrd_for(cl, node, seconds):
    """kill -9 of node's repmgrd, restarted `seconds` later."""
    cl.daemons[node.name].signal(signal.SIGKILL)
    cl.daemons[node.name].wait(10)
    time.sleep(seconds)
    cl.start_repmgrd(node)


def kill_repmgrd_during_election(cl, rng):
    p = cl.primary()
    victim = rng.choice(cl.standbys())
    t = time.time()
    p.kill9()
    time.sleep(rng.uniform(0.5, 3.5))
    kill_repmgrd_for(cl, victim, rng.uniform(1, 3))
    new = wait_new_primary(cl, p)
    notes = [f"{p.name} killed, then repmgrd on {victim.name} killed and restarted; "
             f"new primary {new.name if new else 'NONE'}"]
    restart_old_primary(cl, p, notes)
    return Fault(t, notes, True, f"{p.name} was killed")


def claim_after(cl, failed, since):
    """The winner of a failover claim for `failed` made after `since`."""
    try:
        return cl.witness.sql_one(f"SELECT winner_node_id FROM {SCHEMA}.repl_failover_claim "
                                  "WHERE failed_primary_id = %s AND claimed_at > to_timestamp(%s) "
                                  "ORDER BY claimed_at DESC LIMIT 1", (failed.node_id, since),
                                  dbname="repmgr")
    except Exception:  # noqa: BLE001
        return None


def kill_repmgrd_during_promotion(cl, rng):
    p = cl.primary()
    t = time.time()
    p.kill9()
    try:
        winner_id = wait_until(lambda: claim_after(cl, p, t), timeout=FAILOVER_WAIT, interval=0.02,
                               what="a failover claim")
    except AssertionError:
        return Fault(t, ["no failover claim appeared"], True, f"{p.name} was killed")
    winner = next(n for n in cl.data if n.node_id == winner_id)
    down_for = rng.uniform(2, 15)
    kill_repmgrd_for(cl, winner, down_for)
    new = wait_new_primary(cl, p)
    notes = [f"{p.name} killed; repmgrd on claim winner {winner.name} killed right after its "
             f"claim, restarted {down_for:.1f} s later; new primary {new.name if new else 'NONE'}"]
    restart_old_primary(cl, p, notes)
    return Fault(t, notes, True, f"{p.name} was killed")


def restart_old_primary_during_failover(cl, rng):
    p = cl.primary()
    t = time.time()
    p.kill9()
    delay = rng.uniform(0.5, 4)
    time.sleep(delay)
    p.start(wait=False)
    new = wait_new_primary(cl, p, timeout=20)
    # Started again before the detection time may be over: keeping it is right.
    return Fault(t, [f"{p.name} killed and started again {delay:.1f} s later; "
                     f"new primary {new.name if new else 'none (old primary kept)'}"])


def full_disk_standby(cl, rng):
    s = rng.choice(cl.standbys())
    filler = os.path.join(s.wal_mount, "filler")
    secs = rng.uniform(5, 10)
    t = time.time()
    subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=1M"], capture_output=True)
    time.sleep(secs)
    os.unlink(filler)
    notes = [f"pg_wal of {s.name} full for {secs:.1f} s"]
    time.sleep(1)
    if not s.running():
        s.start(wait=False)
        notes.append(f"{s.name}'s server had stopped: restarted it (DBA action)")
    return Fault(t, notes)


def slow_upstream(cl, rng):
    p = cl.primary()
    rate = rng.choice(["128kbit", "256kbit", "1mbit"])
    secs = rng.uniform(5, 10)
    t = time.time()
    cl.lab.rate_limit(p.host, rate)
    time.sleep(secs)
    cl.lab.heal()
    return Fault(t, [f"{p.name}'s outgoing traffic limited to {rate} for {secs:.1f} s"])


# --- zero data loss (repmgr.conf synchronous=on|strict) -----------------------
# Each runs with repmgrd managing synchronous_standby_names (the attribute
# repmgr_synchronous, read by test_faults.py), and with the commit checker's
# synchronous rule: no acknowledged commit may be lost.

NO_FAILOVER_WATCH_S = 20


def zero_loss(mode):
    def mark(fn):
        fn.repmgr_synchronous = mode
        return fn
    return mark


def sync_standby(cl, p):
    """The standby the primary p's pg_stat_replication shows as synchronous."""
    rows = p.sql("SELECT application_name FROM pg_stat_replication "
                 "WHERE sync_state IN ('sync', 'quorum') ORDER BY 1")
    return cl.by_name(rows[0][0]) if rows else None


@zero_loss("on")
def kill_primary_and_sync_standby(cl, rng):
    """The primary and its synchronous standby die together: the asynchronous
    standby may lack acknowledged commits and must never be promoted."""
    p = cl.primary()
    s = sync_standby(cl, p)
    problems = [] if s else [f"{p.name} had no synchronous standby to kill"]
    t = time.time()
    # One signal each, back to back: PgNode.kill9 waits for the pid to vanish
    # (1-1.6 s), long enough for the synchronous standby to be promoted,
    # rightly, before it is killed in turn.
    pids = [n.pid() for n in (p, s) if n and n.pid()]
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    for pid in pids:
        wait_until(lambda pid=pid: not os.path.exists(f"/proc/{pid}"), timeout=15,
                   what=f"pid {pid} to vanish")
    new = wait_new_primary(cl, p, timeout=NO_FAILOVER_WATCH_S)
    notes = [f"{p.name} and its synchronous standby {s.name if s else 'NONE'} killed; "
             f"new primary within {NO_FAILOVER_WATCH_S} s: {new.name if new else 'none'}"]
    if new is not None:
        problems.append(f"{new.name} was promoted although only {s.name if s else '?'} "
                        "(killed) may have acknowledged commits")
    time.sleep(rng.uniform(0, 2))
    if s and not s.running():
        s.start(wait=False)
        notes.append(f"restarted {s.name}'s server")
    restart_old_primary(cl, p, notes)
    return Fault(t, notes, False, problems=problems)


@zero_loss("on")
def isolate_sync_standby_then_kill_primary(cl, rng):
    """The synchronous standby is cut off; repmgrd names the other standby once
    it has caught up, writes go on, then the primary is killed: the new
    synchronous standby is promoted and nothing acknowledged is lost."""
    p = cl.primary()
    s = sync_standby(cl, p)
    other = next((n for n in cl.data if n is not p and n is not s), None)
    notes, problems = [], []
    t0 = time.time()
    cl.lab.isolate(s.host)
    try:
        wait_until(lambda: sync_standby(cl, p) is other, timeout=30, interval=0.5,
                   what=f"{other.name} to become the synchronous standby")
        notes.append(f"{s.name} (synchronous) isolated; {other.name} synchronous after "
                     f"{time.time() - t0:.1f} s")
    except AssertionError:
        problems.append(f"{other.name} was not made synchronous within 30 s of {s.name}'s "
                        "isolation")
    time.sleep(rng.uniform(1, 3))
    t = time.time()
    p.kill9()
    # Healed at once: kept apart, the old synchronous standby would leave the
    # new one without a majority (2 of 4 voting members) until the heal.
    cl.lab.heal()
    new = wait_new_primary(cl, p)
    notes.append(f"{p.name} killed, {s.name} reconnected; new primary "
                 f"{new.name if new else 'NONE'}")
    if new is not None and new is not other:
        problems.append(f"{new.name} was promoted, not the synchronous standby {other.name}")
    time.sleep(rng.uniform(0, 2))
    restart_old_primary(cl, p, notes)
    return Fault(t, notes, True, f"{p.name} was killed", problems=problems)


@zero_loss("strict")
def strict_every_standby_isolated(cl, rng):
    """strict with every standby cut off: commits wait (none is acknowledged
    and then lost), nobody is promoted, and they complete once healed."""
    p = cl.primary()
    secs = rng.uniform(5, 10)
    t = time.time()
    for n in cl.data:
        if n is not p:
            cl.lab.block(n.host, [h for h in cl.lab.hosts.values() if h is not n.host])
    time.sleep(secs)
    cl.lab.heal()
    return Fault(t, [f"both standbys of {p.name} isolated for {secs:.1f} s (strict: commits "
                     "wait)"])


@zero_loss("on")
def slow_async_standby_then_kill_primary(cl, rng):
    """A slow link to the asynchronous standby, then the primary is killed:
    the synchronous standby is promoted, never the lagging one."""
    p = cl.primary()
    s = sync_standby(cl, p)
    slow = next((n for n in cl.data if n is not p and n is not s), None)
    cl.lab.rate_limit(slow.host, "128kbit")
    time.sleep(rng.uniform(3, 6))
    t = time.time()
    p.kill9()
    new = wait_new_primary(cl, p)
    notes = [f"{slow.name}'s link limited to 128kbit; {p.name} killed; new primary "
             f"{new.name if new else 'NONE'}"]
    problems = []
    if new is slow:
        problems.append(f"the lagging asynchronous standby {slow.name} was promoted")
    cl.lab.heal()
    time.sleep(rng.uniform(0, 2))
    restart_old_primary(cl, p, notes)
    return Fault(t, notes, True, f"{p.name} was killed", problems=problems)


# --- the asynchronous lag bound (repmgr.conf failover_max_lag_secs) ----------

LAG_BOUND_S = 3


def lag_bound_mentions(cl):
    return sum(cl.daemons[n.name].log().count("over failover_max_lag_secs")
               for n in cl.data if n.name in cl.daemons)


def lagging_standbys_then_kill_primary(cl, rng):
    """Issue 17's bound on an asynchronous failover: the primary's WAL streams
    to both standbys stall in transit (their TCP connections only; every
    other connection works, so their repmgrd still sees the primary) for
    less or (half the runs) longer than failover_max_lag_secs, then the
    primary is killed with the streams still stalled. Either nobody is promoted and a standby names the
    bound, or the promoted standby lost nothing older than the bound plus its
    error (one monitor_interval_secs): the commit checker is given that
    window. A run where neither shows fails: the bound was not exercised."""
    p = cl.primary()
    streams = [(r[0], r[1]) for r in p.sql(
        "SELECT host(client_addr), client_port FROM pg_stat_replication "
        "WHERE client_port IS NOT NULL")]
    problems = [] if len(streams) == 2 else [f"expected 2 WAL streams, found {streams}"]
    mentions = lag_bound_mentions(cl)
    # Half the runs stay under the bound (a promotion, its loss checked),
    # half go well past it (no promotion, the bound named).
    secs = (rng.uniform(0.5, LAG_BOUND_S - 1.5) if rng.random() < 0.5
            else rng.uniform(LAG_BOUND_S + 3, LAG_BOUND_S + 8))
    cl.lab.stall_streams(p.host, streams)
    time.sleep(secs)
    t = time.time()
    p.kill9()
    new = wait_new_primary(cl, p, timeout=NO_FAILOVER_WATCH_S)
    named = lag_bound_mentions(cl) - mentions
    notes = [f"WAL streams from {p.name} stalled {secs:.1f} s, then {p.name} killed; new "
             f"primary within {NO_FAILOVER_WATCH_S} s: {new.name if new else 'none'}; the bound "
             f"named {named} time(s)"]
    if new is None and named == 0:
        problems.append("no standby was promoted and none named failover_max_lag_secs: the "
                        "bound was not what held the failover")
    cl.lab.heal()
    # As after a reboot, which takes seconds: restarted at once, the old
    # primary would be writable until its repmgrd's next tick (the window
    # restart_old_primary_during_failover probes on purpose).
    time.sleep(rng.uniform(2, 4))
    restart_old_primary(cl, p, notes)
    return Fault(t, notes, None, problems=problems)


lagging_standbys_then_kill_primary.repmgr_settings = {"failover_max_lag_secs": str(LAG_BOUND_S)}
lagging_standbys_then_kill_primary.loss_allowed_s = LAG_BOUND_S + 1.0


def silence_repmgrd_then_isolate_primary(how):
    """Issue 21: the primary's repmgrd is killed (kill -9) or frozen (SIGSTOP),
    then the primary is cut off from everybody for long enough that the
    standbys must fail over. Only the guard (repmgrd --guard, guard_timeout)
    can fence it now; the checkers see whether it did before a standby
    promoted."""
    def nemesis(cl, rng):
        p = cl.primary()
        d = cl.daemons[p.name]
        if how == "kill9":
            d.signal(signal.SIGKILL)
            d.wait(10)
        else:
            d.signal(signal.SIGSTOP)
        silent = rng.uniform(0.5, 3)
        time.sleep(silent)
        secs = rng.uniform(15, 26)
        t = time.time()
        cl.lab.isolate(p.host)
        time.sleep(secs)
        cl.lab.heal()
        if how == "kill9":
            cl.start_repmgrd(p)  # systemd (or a DBA) restarts it
        else:
            d.signal(signal.SIGCONT)
        verb = "killed (kill -9)" if how == "kill9" else "frozen (SIGSTOP)"
        notes = [f"repmgrd of {p.name} {verb}, {silent:.1f} s later {p.name} isolated for "
                 f"{secs:.1f} s; repmgrd {'restarted' if how == 'kill9' else 'resumed'} "
                 f"after the heal"]
        return stall(cl, t, secs, notes, f"the primary {p.name} was isolated with its "
                                         f"repmgrd {verb}")
    return nemesis


# name -> (nemesis, runs in the reduced CI set)
from faultlib.etcd_nemeses import (cut_primary_from_etcd, cut_standby_from_etcd,  # noqa: E402
                                   etcd_down, etcd_down_failsafe, kill_etcd_leader, on_etcd,
                                   on_etcd_failsafe)

NEMESES = {
    "kill9_primary": (kill9_primary, True),
    "sigstop_short": (sigstop(0.5, 1.5), False),
    "sigstop_long": (sigstop(12, 26), True),
    "isolate_primary": (isolate(pick_primary, 5, 26), True),
    "isolate_standby": (isolate(pick_standby, 3, 8), False),
    "cut_witness": (isolate(pick_witness, 3, 8), False),
    "split_2_2": (split_2_2, True),
    "oneway_loss": (oneway_loss, False),
    "kill_repmgrd_during_election": (kill_repmgrd_during_election, False),
    "kill_repmgrd_during_promotion": (kill_repmgrd_during_promotion, False),
    "restart_old_primary_during_failover": (restart_old_primary_during_failover, False),
    "full_disk_standby": (full_disk_standby, False),
    "slow_upstream": (slow_upstream, False),
    "kill_primary_and_sync_standby": (kill_primary_and_sync_standby, False),
    "isolate_sync_standby_then_kill_primary": (isolate_sync_standby_then_kill_primary, False),
    "strict_every_standby_isolated": (strict_every_standby_isolated, False),
    "slow_async_standby_then_kill_primary": (slow_async_standby_then_kill_primary, False),
    "lagging_standbys_then_kill_primary": (lagging_standbys_then_kill_primary, False),
    "kill9_repmgrd_then_isolate_primary": (silence_repmgrd_then_isolate_primary("kill9"), True),
    "sigstop_repmgrd_then_isolate_primary": (silence_repmgrd_then_isolate_primary("sigstop"),
                                             False),
    # arbiter=etcd (issue 18): a 3-member etcd instead of the witness
    "etcd_kill9_primary": (on_etcd(kill9_primary), False),
    "etcd_sigstop_long": (on_etcd(sigstop(12, 26)), False),
    "etcd_isolate_primary": (on_etcd(isolate(pick_primary, 5, 26)), False),
    "etcd_kill_etcd_leader": (kill_etcd_leader, False),
    "etcd_cut_primary_from_etcd": (cut_primary_from_etcd, False),
    "etcd_cut_standby_from_etcd": (cut_standby_from_etcd, False),
    "etcd_down": (etcd_down, False),
    # ... with etcd_failsafe=on: etcd down for every node keeps the primary
    # writable; any other cut must not
    "etcd_failsafe_down": (etcd_down_failsafe, False),
    "etcd_failsafe_cut_primary_from_etcd": (on_etcd_failsafe(cut_primary_from_etcd), False),
    "etcd_failsafe_isolate_primary": (on_etcd_failsafe(isolate(pick_primary, 5, 26)), False),
    "etcd_failsafe_kill9_primary": (on_etcd_failsafe(kill9_primary), False),
}
