"""Nemeses of the arbiter=etcd cluster (issue 18): etcd itself fails, or
the primary or a standby loses etcd but not the other nodes, plus the
primary's own failures, where the lease now decides when a standby may take
over. Each carries arbiter = "etcd" (test_faults.py builds that cluster)."""

import random
import signal
import time

from faultlib.liveness import Fault


def on_etcd(nemesis):
    """The same nemesis against the etcd cluster."""
    def run(cl, rng):
        return nemesis(cl, rng)
    run.arbiter = "etcd"
    run.__doc__ = nemesis.__doc__
    return run


def on_etcd_failsafe(nemesis):
    """The same nemesis against the etcd cluster with etcd_failsafe=on: a
    primary may stay writable without its lease, but only while every
    standby streams from it and cannot reach etcd either."""
    def run(cl, rng):
        return nemesis(cl, rng)
    run.arbiter = "etcd-failsafe"
    run.__doc__ = nemesis.__doc__
    return run


def etcd_nemesis(fn):
    fn.arbiter = "etcd"
    return fn


@etcd_nemesis
def kill_etcd_leader(cl, rng: random.Random):
    """kill -9 of etcd's raft leader, restarted 3-8 s later: etcd elects
    another (about 1 s); the primary's renewals resume and nothing fails over
    (a fence for the length of the election would be allowed, not required)."""
    leader = cl.etcd.leader()
    if leader is None:
        return Fault(time.time(), ["no etcd leader found: nothing killed"],
                     problems=["etcd had no leader before the fault"])
    secs = rng.uniform(3, 8)
    t = time.time()
    leader.stop(signal.SIGKILL)
    time.sleep(secs)
    leader.start(cl.etcd.initial, cl.etcd.token)
    return Fault(t, [f"etcd leader {leader.name} killed, restarted {secs:.1f} s later; "
                     f"writable after: {[n.name for n in cl.writable_nodes()]}"])


@etcd_nemesis
def cut_primary_from_etcd(cl, rng):
    """The primary loses etcd but not its standbys, for 5-20 s: it fences
    itself before its lease can lapse; the standbys still stream from it, so
    either it comes back as the primary, or (demoted meanwhile) a standby
    takes the key and the old primary rejoins. Either is right."""
    p = cl.primary()
    secs = rng.uniform(5, 20)
    t = time.time()
    cl.lab.block(p.host, cl.etcd.hosts)
    time.sleep(secs)
    cl.lab.heal()
    return Fault(t, [f"{p.name} cut off from etcd for {secs:.1f} s; writable right after: "
                     f"{[n.name for n in cl.writable_nodes()]}"])


@etcd_nemesis
def cut_standby_from_etcd(cl, rng):
    """A standby loses etcd for 3-8 s: nothing happens."""
    s = rng.choice(cl.standbys())
    secs = rng.uniform(3, 8)
    t = time.time()
    cl.lab.block(s.host, cl.etcd.hosts)
    time.sleep(secs)
    cl.lab.heal()
    return Fault(t, [f"{s.name} cut off from etcd for {secs:.1f} s"])


@etcd_nemesis
def etcd_down(cl, rng):
    """Every etcd member killed for 5-15 s: the primary fences itself within
    its lease and nobody can promote; after the restart one node holds the key
    and the others follow it."""
    secs = rng.uniform(5, 15)
    t = time.time()
    for m in cl.etcd.members:
        m.stop(signal.SIGKILL)
    time.sleep(secs)
    cl.etcd.start()
    return Fault(t, [f"etcd down for {secs:.1f} s"])


def etcd_down_failsafe(cl, rng):
    """etcd_failsafe=on, every etcd member killed for 12-20 s (beyond the
    lease): the primary stays writable, since every standby streams from it
    and promises not to take the key; nobody promotes; after the restart the
    primary holds its key again. A primary that stopped taking writes while
    etcd was down is a problem: the failsafe did not work."""
    secs = rng.uniform(12, 20)
    p = cl.primary()
    if p is None:
        return Fault(time.time(), ["no single writable primary: nothing done"],
                     problems=["no single writable primary before the fault"])
    t = time.time()
    for m in cl.etcd.members:
        m.stop(signal.SIGKILL)
    time.sleep(secs)
    writable = [n.name for n in cl.writable_nodes()]
    cl.etcd.start()
    problems = [] if writable == [p.name] else [
        f"etcd_failsafe: {p.name} did not stay the one writable node while etcd was down "
        f"(writable at the end: {writable})"]
    return Fault(t, [f"etcd down for {secs:.1f} s; writable at the end: {writable}"],
                 problems=problems)


etcd_down_failsafe.arbiter = "etcd-failsafe"
