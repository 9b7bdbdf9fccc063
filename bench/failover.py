"""The failover runs (kill -9 of the primary -> first write on a new primary,
and -> the other standby streams from it) for four variants side by side:
ours with the witness as arbiter, ours with arbiter=etcd, Debian's repmgr
5.3, and Patroni 3.0.2 on etcd. Two ways to kill the primary:

- "postgres": kill -9 of the primary's postmaster only; the daemon on the
  primary keeps running (ours reports the crash). Patroni would restart
  its PostgreSQL in place, so it has no failover to measure here.
- "node": kill -9 of the primary's daemon (repmgrd or Patroni) and then, at
  once, of its postmaster and every child: a host crash, as far as one
  loopback host allows (the kernel still closes the sockets, so peers see
  the connections drop instead of timing out).
- "network": the primary's host cut off (bench/hostdeath.py): every node in
  its own network namespace, and every packet from and to the primary's
  dropped, while its PostgreSQL and daemon keep running inside; the bench
  also records whether the old primary still took writes once the new one
  did ("two writable primaries")."""

import itertools
import os
import signal
import time

import hostdeath
from clusters import BenchCluster, freeze_tree, is_writable_primary, streams_from, wait_until
from patroni import PATRONI_DEFAULT, PATRONI_TUNED, PatroniCluster
from pylib.etcd import EtcdCluster, etcd_settings, wait_leader
from scenarios import TUNED, _first_write, _settle, _tail, failover_breakdown, failover_settings

# variant -> the "tool" of its JSON lines
LABELS = {"ours": "ours", "ours_etcd": "ours arbiter=etcd", "repmgr5": "repmgr5",
          "patroni": "patroni"}
KILLS = {"postgres": "kill -9 of the primary's postmaster (its daemon keeps running)",
         "node": "kill -9 of the primary's daemon (repmgrd or Patroni), then of its "
                 "postmaster and every child",
         "network": "the primary's network namespace drops every packet (no RST); its "
                    "PostgreSQL and daemon keep running inside"}
_runs = itertools.count(1)


def min_etcd_ttl(settings):
    """src/config/etcd_settings.cpp min_etcd_ttl with repmgr.conf's defaults."""
    interval = int(settings.get("monitor_interval_secs", 2))
    timeout = int(settings.get("master_response_timeout", 2))
    return 2 * interval + timeout + 1


def variant_settings(env, variant, tuned, etcd=None, prefix=None):
    """repmgr.conf settings of a variant: ours and ours_etcd share the tuned
    timing; tuned etcd adds the smallest etcd_ttl that timing allows
    (default: etcd_ttl left at its default, 10)."""
    tool = env.tools["repmgr5" if variant == "repmgr5" else "ours"]
    settings = failover_settings(tool, tuned)
    if variant == "ours_etcd":
        ttl = min_etcd_ttl(settings) if tuned else None
        extra = etcd_settings(etcd, prefix=prefix, ttl=ttl or 10)
        if ttl is None:
            del extra["etcd_ttl"]
        settings.update(extra)
    return settings


def settings_note(variant, tuned):
    if variant == "patroni":
        t = PATRONI_TUNED if tuned else PATRONI_DEFAULT
        return ", ".join(f"{k}={v}" for k, v in t.items())
    note = ", ".join(f"{k}={v}" for k, v in TUNED.items()) if tuned else "defaults"
    if variant == "ours_etcd":
        ttl = min_etcd_ttl(TUNED) if tuned else 10
        note += f", etcd_ttl={ttl}, 3 etcd members, no witness"
    elif variant in ("ours", "repmgr5"):
        note += ", witness"
    return note


def _measure(kill, standbys, timeout, why_not):
    """Runs kill() and times the first write on a standby and the other
    standby streaming from it; returns (result, new primary, kill wall time)."""
    t0 = time.monotonic()
    t0_wall = time.time()
    kill()
    t_write, attempts = _first_write(standbys, t0 + timeout)
    if t_write is None:
        raise RuntimeError(f"no standby accepted a write within {timeout} s of the kill "
                           f"(no automatic failover); last log lines: {why_not()}")
    new = next(s for s in standbys if is_writable_primary(s))
    other = next(s for s in standbys if s is not new)
    try:
        wait_until(lambda: streams_from(other, new), timeout=max(5, t0 + timeout - time.monotonic()),
                   interval=0.05, what="the other standby to stream from the new primary")
        stream_s = time.monotonic() - t0
    except AssertionError:
        stream_s = None
    return ({"seconds": t_write - t0, "other_standby_streams_s": stream_s,
             "write_attempts": attempts}, new, t0_wall)


def _kill_tree(pid):
    if pid:
        freeze_tree(pid, signal.SIGKILL)


def run_repmgr(env, variant, tuned, kill):
    """ours (witness), ours_etcd or repmgr5: three nodes, repmgrd on each
    (and on the witness); with etcd, three etcd members and no witness."""
    if kill == "network":
        with hostdeath.Lab() as lab:
            return _run_repmgr(env, variant, tuned, kill, lab)
    return _run_repmgr(env, variant, tuned, kill, None)


def _run_repmgr(env, variant, tuned, kill, lab):
    tool = env.tools["repmgr5" if variant == "repmgr5" else "ours"]
    timeout = 180 if variant == "repmgr5" else 90
    if lab is None:
        c = env.cluster(tool)
    else:
        c = BenchCluster(tool, env.prefix, env.template_cache,
                         harness=hostdeath.NsHarness(env.prefix, env.template_cache, lab.net))
        lab.teardown = c.teardown  # after the lab heals, before its namespaces go
    try:
        etcd, prefix = None, None
        if variant == "ours_etcd":
            # stopped by the harness's teardown
            etcd = lab.etcd(c.h) if lab is not None else EtcdCluster(c.h).start()
            prefix = f"/repmgr/bench-{os.getpid()}-{next(_runs)}/"
        settings = variant_settings(env, variant, tuned, etcd, prefix)
        c.build(standbys=2, witness=etcd is None, settings=settings)
        c.primary.sql("CREATE TABLE bench_writes (id serial PRIMARY KEY, at timestamptz DEFAULT now())")
        for s in c.standbys:
            wait_until(lambda s=s: streams_from(s, c.primary), timeout=30, what="streaming")
        c.start_daemons()
        if etcd is not None:
            wait_leader(etcd, 1, timeout=30, prefix=prefix)
        _settle(c, 5)
        daemon = next(d for d in c.h.daemons if d.node is c.primary)
        pid = c.primary.pid()

        def do_kill():
            if kill == "node":
                os.kill(daemon.pid, signal.SIGKILL)
                _kill_tree(pid)
            else:
                os.kill(pid, signal.SIGKILL)

        why_not = lambda: _tail(c.daemon_log(c.standbys[0].name))  # noqa: E731
        if lab is not None:
            result, new, t0_wall = hostdeath.measure_cut(lambda: lab.cut(c.primary), c.primary,
                                                         c.standbys, timeout, why_not)
        else:
            result, new, t0_wall = _measure(do_kill, c.standbys, timeout, why_not)
        if tool.name == "ours":
            # Where the time went, beside the total: medians per key in the summary.
            result.update(failover_breakdown(new, t0_wall))
        return result
    finally:
        if lab is None:
            c.teardown()


def run_patroni(env, tuned, kill):
    """Patroni: three nodes on a three-member etcd; the primary's Patroni and
    postmaster killed, or its host cut off (kill="node" or "network")."""
    if kill == "network":
        with hostdeath.Lab() as lab:
            return _run_patroni(env, tuned, lab)
    return _run_patroni(env, tuned, None)


def _run_patroni(env, tuned, lab):
    timing = PATRONI_TUNED if tuned else PATRONI_DEFAULT
    scope = f"bench-{os.getpid()}-{next(_runs)}"
    if lab is None:
        c = PatroniCluster(env.prefix, env.template_cache, timing, scope=scope)
    else:
        c = PatroniCluster(env.prefix, env.template_cache, timing, scope=scope,
                           harness=hostdeath.NsHarness(env.prefix, env.template_cache, lab.net),
                           make_etcd=lab.etcd)
        lab.teardown = c.teardown
    try:
        c.build()
        c.primary.sql("CREATE TABLE bench_writes (id serial PRIMARY KEY, at timestamptz DEFAULT now())")
        time.sleep(5)  # as for repmgrd: a few rounds of the HA loop before the crash
        if not c.all_alive():
            raise RuntimeError(f"a Patroni exited: {_tail(c.log('node1'))}")
        patroni = c.patronis[c.primary.name]
        pid = c.primary.pid()

        def do_kill():
            os.kill(patroni.pid, signal.SIGKILL)
            _kill_tree(pid)

        why_not = lambda: _tail(c.log("node2"))  # noqa: E731
        if lab is not None:
            result, _, _ = hostdeath.measure_cut(lambda: lab.cut(c.primary), c.primary,
                                                 c.standbys, 90, why_not)
        else:
            result, _, _ = _measure(do_kill, c.standbys, 90, why_not)
        return result
    finally:
        if lab is None:
            c.teardown()


def run_failover(env, variant, tuned, kill):
    if variant == "patroni":
        if kill == "postgres":
            raise ValueError("Patroni restarts a killed postmaster in place: no postmaster kill")
        return run_patroni(env, tuned, kill)
    return run_repmgr(env, variant, tuned, kill)
