"""Liveness and non-vacuity: the checks that keep the fault suite from passing
by accident (a repmgrd that never fails over, a writer that never wrote).

A nemesis that must cause a failover (a primary killed, or frozen or cut off
from a healthy majority for longer than the detection time) says so in its
Fault; the run then fails unless a node other than the old primary answered
writable within `failover_bound_s` of the fault's start. The bound is derived
from the repmgr.conf settings the cluster runs with, and is generous: twice
the time the rules allow, plus the time a standby may wait for the winner."""

from dataclasses import dataclass, field

# A run must see at least this many commits acknowledged, one of them before
# the fault and one after the cluster converged: the writer runs for 1-2.5 s
# after its first commit before the fault, at dozens of commits per second
# (28 in the shortest run on a machine with a load average of 25).
MIN_ACKED = 10
# How long the writer may take to have a commit acknowledged: its first one
# (connecting), and its first once the cluster converged (it may first give
# up a connection stuck on a dead node).
WRITE_WAIT_S = 20


@dataclass
class Fault:
    """What a nemesis did: when the fault began, notes for the report, and
    whether the rules require a failover (None: either outcome is right)."""
    start: float
    notes: list = field(default_factory=list)
    must_fail_over: bool = False
    why: str = ""
    problems: list = field(default_factory=list)  # rules the nemesis itself saw broken


def _setting(settings, name, default):
    return int(str(settings.get(name, default)).strip("'"))


def crash_detection_s(settings):
    """A killed primary (connections refused at once) is declared failed
    after one monitor interval and reconnect_attempts - 1 more attempts
    (docs/failover.md, section 1)."""
    return (_setting(settings, "monitor_interval_secs", 2)
            + max(0, _setting(settings, "reconnect_attempts", 3) - 1)
            * _setting(settings, "reconnect_interval", 2))


def stall_detection_s(settings):
    """A frozen or cut-off primary is replaced only once the standbys' WAL
    receivers heard nothing from it for this long (receiver_freshness_s in
    src/daemon/observe/probe.cpp), and with arbiter=etcd not before its
    leader lease ran out (etcd_ttl after its last renewal)."""
    lease = _setting(settings, "etcd_ttl", 10) if settings.get("arbiter") == "etcd" else 0
    return max(10, lease, _setting(settings, "reconnect_attempts", 3)
               * _setting(settings, "reconnect_interval", 2)
               + _setting(settings, "master_response_timeout", 2))


def stall_must_fail_over_s(settings):
    """A stall (freeze, isolation) at least this long must end in a failover:
    the detection time, one monitor tick, one election rerun, and two
    master_response_timeout (the probe of the unresponsive primary, the
    claim). The new primary appeared 12.1-12.8 s into such stalls with the
    suite's settings on a loaded machine; this is 17 s."""
    return (stall_detection_s(settings) + _setting(settings, "monitor_interval_secs", 2)
            + _setting(settings, "election_rerun_interval", 15)
            + 2 * _setting(settings, "master_response_timeout", 2))


def failover_bound_s(settings):
    """The time from a fault's start by which a required failover must have
    produced a writable new primary: detection, a claim left unconfirmed by
    a winner that died (max(5, 3 x master_response_timeout + 1), as
    claim_confirm_seconds in src/daemon/decide/decide_failover.cpp), an
    election rerun and primary_follow_timeout for a standby waiting on the
    winner, all doubled."""
    mrt = _setting(settings, "master_response_timeout", 2)
    rules = (max(crash_detection_s(settings), stall_detection_s(settings))
             + max(5, 3 * mrt + 1)
             + _setting(settings, "election_rerun_interval", 15)
             + _setting(settings, "primary_follow_timeout", 60))
    return 2 * rules


def first_takeover(sampler, old_name, since):
    """The time a node other than `old_name` first answered writable at or
    after `since`, or None."""
    times = [s[0] for name, samples in sampler.samples.items() if name != old_name
             for s in samples if s[2] and s[0] >= since]
    return min(times) if times else None


def liveness_problems(fault, settings, takeover_at):
    """Problems when a failover the fault requires did not happen in time."""
    if not fault.must_fail_over:
        return []
    bound = failover_bound_s(settings)
    if takeover_at is None:
        return [f"no failover: {fault.why}, but no other node became a writable primary"]
    if takeover_at - fault.start > bound:
        return [f"failover too late: a new primary {takeover_at - fault.start:.1f} s after the "
                f"fault, bound {bound} s ({fault.why})"]
    return []


def vacuity_problems(attempts, writer_rc, writer_err):
    """Problems when a run proved nothing about commits: a writer that never
    connected or died, or too few commits acknowledged. `attempts` are the
    writer's [(id, outcome, time)]."""
    acked = sum(1 for _, outcome, _ in attempts if outcome == "ok")
    problems = []
    if not attempts:
        problems.append("the writer never completed an attempt (never connected)"
                        + (f": {writer_err}" if writer_err else ""))
    if writer_rc not in (0, None):
        problems.append(f"the writer exited with code {writer_rc}"
                        + (f": {writer_err}" if writer_err else ""))
    if acked < MIN_ACKED:
        problems.append(f"only {acked} commits acknowledged (at least {MIN_ACKED} required)")
    return problems
