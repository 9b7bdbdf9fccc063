"""The scale scenario (issue 19): one primary, 15 standbys and a witness on
127.0.0.1, repmgrd on all 17, each tool's default failover settings. Per
run: `repmgr cluster show` on the healthy cluster, the CPU the monitoring
costs the primary server per minute, and kill -9 of the primary's
postmaster -> first write on the new primary and -> each of the 14 other
standbys streaming from it (the sorted follow times say which were late)."""

import os
import shutil
import signal
import statistics
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg

from clusters import (BenchCluster, is_writable_primary, preload_repmgr, run_as_user,
                      server_cpu_seconds, streams_from, wait_until)
from scenarios import _first_write, _settle, _tail, failover_breakdown, failover_settings

STANDBYS = 15
FOLLOW_DEADLINE_S = 180  # repmgr 5's defaults take ~55 s on three nodes
CLONE_WORKERS = 4        # pg_basebackups at once: two cores, mostly waiting on I/O and fsync-free copies
SHOW_CALLS = 3           # `cluster show` calls per run (the run's figure is their median)

# The harness's template allows 10 WAL senders and 30 connections: too few for
# 15 streaming standbys (+2 senders per pg_basebackup under way) and 16
# repmgrd, each with connections to the primary, plus `cluster show`.
SERVER_CONF = {"max_wal_senders": 32, "max_replication_slots": 32, "max_connections": 100}


def _append_conf(datadir):
    with open(os.path.join(datadir, "postgresql.conf"), "a") as f:
        f.write("\n# bench scale scenario\n"
                + "".join(f"{k} = {v}\n" for k, v in SERVER_CONF.items()))


def scale_template(env):
    """A copy of the bench template with SERVER_CONF, made once per bench run
    beside it (bench.py removes the template's directory at the end)."""
    def cache():
        base = env.template_cache()
        path = base.rstrip("/") + "-scale"
        if not os.path.isdir(path):
            tmp = path + ".tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            run_as_user(["cp", "-a", base, tmp])
            _append_conf(tmp)
            os.rename(tmp, path)
        return path
    return cache


def build(env, tool, settings):
    """Primary, 15 standbys cloned CLONE_WORKERS at a time, a witness; all
    registered. Returns the cluster and the seconds the build took."""
    t0 = time.monotonic()
    c = BenchCluster(tool, env.prefix, scale_template(env))
    try:
        p = c.h.primary("node1")
        c.primary = p
        c.write_conf(p, 1, settings)
        c.repmgr(p, "primary", "register")
        # ports are handed out here, in one thread; only the copies run in parallel
        nodes = [c.h.node(f"node{i + 2}") for i in range(STANDBYS)]

        def clone(n):
            p.basebackup_to(n)
            n.start()

        with ThreadPoolExecutor(CLONE_WORKERS) as pool:
            list(pool.map(clone, nodes))
        for i, n in enumerate(nodes):
            c.write_conf(n, i + 2, settings)
            c.repmgr(n, "standby", "register")
            c.standbys.append(n)
        w = c.h.node("witness").init_fresh()
        preload_repmgr(w)
        _append_conf(w.datadir)
        w.start()
        w.create_repmgr_user()
        c.write_conf(w, 99, settings)
        c.repmgr(w, *p.conn_args(), "witness", "register")
        c.witness = w
        p.sql("CREATE TABLE bench_writes (id serial PRIMARY KEY, at timestamptz DEFAULT now())")
        wait_until(lambda: all(streams_from(s, p) for s in c.standbys), timeout=60,
                   what="all standbys streaming")
    except BaseException:
        c.teardown()
        raise
    return c, time.monotonic() - t0


def cluster_show(c):
    """Median wall time of SHOW_CALLS `cluster show` on a standby; every
    node must be listed."""
    names = [n.name for n in c.all_nodes()]
    times = []
    for _ in range(SHOW_CALLS):
        t0 = time.monotonic()
        r = c.repmgr(c.standbys[0], "cluster", "show", check=False, timeout=120)
        times.append(time.monotonic() - t0)
        listed = {w.strip() for line in r.stdout.splitlines() if "|" in line
                  for w in line.split("|")}
        missing = [n for n in names if n not in listed]
        if r.returncode != 0 or missing:
            raise RuntimeError(f"cluster show (exit {r.returncode}) did not list {missing}: "
                               f"{_tail(r.stdout + r.stderr, 6)}")
    return statistics.median(times)


def primary_cpu_per_min(c, window_s):
    """CPU seconds per minute of the primary's postmaster and all its
    children (backends serving the repmgrd, walsenders, ...) over window_s."""
    ppid = c.primary.pid()
    cpu0, t0 = server_cpu_seconds(ppid), time.monotonic()
    _settle(c, window_s)  # also: every repmgrd is still alive
    cpu, elapsed = server_cpu_seconds(ppid) - cpu0, time.monotonic() - t0
    return cpu * 60 / elapsed


class FollowWatch:
    """When each standby first streams from `primary`, seconds after t0: one
    connection per standby kept open (a follower restarted by its tool is
    reconnected), so that polling 14 standbys every 50 ms forks nothing."""

    def __init__(self, standbys, primary, t0):
        self.primary, self.t0 = primary, t0
        self.pending = {s.name: s for s in standbys}
        self.conns = {}
        self.at = {}

    def _streams(self, s):
        conn = self.conns.get(s.name)
        try:
            if conn is None or conn.closed:
                conn = psycopg.connect(s.conninfo("postgres", "postgres"), autocommit=True,
                                       connect_timeout=1)
                self.conns[s.name] = conn
            row = conn.execute("SELECT status, sender_port FROM pg_stat_wal_receiver").fetchone()
        except psycopg.Error:
            self.conns.pop(s.name, None)
            return False
        return bool(row) and row[0] == "streaming" and row[1] == self.primary.port

    def run(self, deadline):
        while self.pending and time.monotonic() < deadline:
            for name, s in list(self.pending.items()):
                if self._streams(s):
                    self.at[name] = round(time.monotonic() - self.t0, 3)
                    del self.pending[name]
            time.sleep(0.05)
        for conn in self.conns.values():
            conn.close()
        return self

    def sorted_times(self):
        """[[name, seconds or None], ...]: fastest first, the ones that never
        followed last."""
        done = sorted(self.at.items(), key=lambda kv: kv[1])
        return [[n, s] for n, s in done] + [[n, None] for n in sorted(self.pending)]


def failover(c, tool):
    """kill -9 of the primary's postmaster -> first write (client retrying
    over the 15 standbys) and -> each other standby streaming from the winner."""
    t0 = time.monotonic()
    t0_wall = time.time()
    os.kill(c.primary.pid(), signal.SIGKILL)
    deadline = t0 + FOLLOW_DEADLINE_S
    load_before = os.getloadavg()[0]
    t_write, attempts = _first_write(c.standbys, deadline)
    others = len(c.standbys) - 1
    if t_write is None:
        # no failover is a result too: the figures taken before the kill stay
        why = (f"no standby accepted a write within {FOLLOW_DEADLINE_S} s of kill -9; "
               f"last log lines: {_tail(c.daemon_log(c.standbys[0].name))}")
        keep_logs(c, why)
        return {"seconds": None, "last_standby_streams_s": None, "standbys_followed": 0,
                "standbys_to_follow": others, "follow_median_s": None,
                "write_attempts": attempts, "load_before_kill": load_before,
                "load_at_end": os.getloadavg()[0], "new_primary": None, "follow_s": [],
                "failover_error": why[:600]}
    new = next(s for s in c.standbys if is_writable_primary(s))
    followers = [s for s in c.standbys if s is not new]
    watch = FollowWatch(followers, new, t0).run(deadline)
    times = watch.sorted_times()
    followed = [s for _, s in times if s is not None]
    out = {"seconds": t_write - t0,
           "last_standby_streams_s": followed[-1] if len(followed) == others else None,
           "standbys_followed": len(followed), "standbys_to_follow": others,
           "follow_median_s": statistics.median(followed) if followed else None,
           "write_attempts": attempts, "load_before_kill": load_before,
           "load_at_end": os.getloadavg()[0], "new_primary": new.name, "follow_s": times,
           "failover_error": None}
    if tool.name == "ours":
        out.update(failover_breakdown(new, t0_wall))
    return out


def keep_logs(c, why):
    """BENCH_KEEP_LOGS=dir: the daemons' and servers' logs of a failed run
    are copied to dir/<tool>-<time>/<node>/ before the teardown removes them."""
    dest = os.environ.get("BENCH_KEEP_LOGS")
    if not dest:
        return
    run_dir = os.path.join(dest, f"{c.tool.name}-{time.strftime('%H%M%S')}")
    for n in c.all_nodes():
        os.makedirs(os.path.join(run_dir, n.name), exist_ok=True)
        for f in ("repmgrd.log", "repmgrd.stderr", "postgres.log"):
            src = os.path.join(n.confdir, f)
            if os.path.exists(src):
                shutil.copy(src, os.path.join(run_dir, n.name, f))
    with open(os.path.join(run_dir, "error.txt"), "w") as f:
        f.write(why + "\n")


def run_scale(env, tool, window_s):
    """One run for one tool on its own 17-node cluster, always torn down."""
    c, build_s = build(env, tool, failover_settings(tool, tuned=False))
    try:
        c.start_daemons()
        _settle(c, 10)
        result = {"build_s": build_s, "cluster_show_s": cluster_show(c),
                  "primary_server_cpu_s_per_min": primary_cpu_per_min(c, window_s)}
        fo = failover(c, tool)
        # the headline ("seconds") first, as in the other scenarios
        return {"seconds": fo.pop("seconds"), **result, **fo}
    except Exception as e:
        keep_logs(c, f"{type(e).__name__}: {e}")
        raise
    finally:
        stop_daemons(c)
        c.teardown()


def stop_daemons(c, timeout=20):
    """SIGTERM to all 17 repmgrd at once, then SIGKILL to those still
    running after `timeout`: the harness stops them one by one, up to 20 s
    each, which with 17 stuck in a failover takes minutes."""
    live = [d for d in c.h.daemons if d.alive()]
    for d in live:
        d.proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for d in live:
        try:
            d.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            d.proc.kill()
            d.proc.wait(timeout=10)


def spreads(results):
    """min and max of every figure all runs have as a number (the summary
    line gives min_s/max_s for "seconds" and the medians of the rest)."""
    out = {}
    for k in (results[0] if results else {}):
        values = [r.get(k) for r in results]
        if k == "seconds" or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                     for v in values):
            continue
        out[f"{k}_min"], out[f"{k}_max"] = round(min(values), 3), round(max(values), 3)
    return out


def notes(window_s):
    return {"standbys": STANDBYS, "witness": True, "cpu_window_s": window_s,
            "follow_deadline_s": FOLLOW_DEADLINE_S, "settings": "defaults",
            "server_conf": ", ".join(f"{k}={v}" for k, v in SERVER_CONF.items())}
