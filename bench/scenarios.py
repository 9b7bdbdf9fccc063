"""The benchmark scenarios. Each `run_*` does one measured run for one tool on
a cluster it builds and always tears down, and returns a dict whose "seconds"
is the headline figure (other keys are extra figures). Failures raise."""

import json
import os
import re
import shutil
import signal
import threading
import time

import psycopg

from clusters import (CLUSTER, PG_BIN, BenchCluster, BlackHole, freeze_tree, is_writable_primary,
                      multi_host_conninfo, node_conninfo, run_as_user,
                      streams_from, wait_until)

# repmgr 5 needs its commands set for automatic failover; ours has built-in ones.
REPMGR5_COMMANDS = {
    "promote_command": "{repmgr} standby promote -f {conf} --log-to-file",
    "follow_command": "{repmgr} standby follow -f {conf} --log-to-file --upstream-node-id=%n",
}
TUNED = {"monitor_interval_secs": 1, "reconnect_attempts": 2, "reconnect_interval": 1}


def failover_settings(tool, tuned):
    settings = {"failover": "automatic"}
    if tool.name == "repmgr5":
        settings.update(REPMGR5_COMMANDS)
    if tuned:
        settings.update(TUNED)
    return settings


class Env:
    """What every run needs: tools, installed prefix, template, sshd, mode."""

    def __init__(self, tools, prefix, template_cache, quick, sshd_factory):
        self.tools = tools
        self.prefix = prefix
        self.template_cache = template_cache
        self.quick = quick
        self.runs = None  # --runs: runs per tool of the failover scenarios
        self._sshd_factory = sshd_factory

    def sshd(self):
        return self._sshd_factory()

    def cluster(self, tool, sshd=None):
        return BenchCluster(tool, self.prefix, self.template_cache, sshd)


def _settle(cluster, seconds):
    """Lets every repmgrd make its first rounds of checks, and makes sure none died."""
    time.sleep(seconds)
    dead = [d.node.name for d in cluster.h.daemons if not d.alive()]
    if dead:
        raise RuntimeError(f"repmgrd died on {dead}: {cluster.daemon_log(dead[0])[-500:]}")


TIMELINE_KEYS = ("last_contact", "failure_noticed", "failure_confirmed", "election_decided",
                 "claim_won", "promotion_requested", "writable")


def failover_breakdown(new_primary, killed_at_wall):
    """Ours only: the winner's failover_timeline (docs/failover.md, "Where the
    time goes") from its repmgrd_failover_promote event, as seconds after the
    kill (wall clock, same host): {"at_<key>_s": ..., "confirmed_by": ...}."""
    rows = new_primary.sql(f"SELECT details FROM repmgr_{CLUSTER}.repl_events "
                           "WHERE event = 'repmgrd_failover_promote' AND successful "
                           "ORDER BY event_timestamp DESC LIMIT 1", dbname="repmgr")
    m = re.search(r"failover_timeline=(\{.*?\})", rows[0][0]) if rows else None
    if not m:
        return {}
    timeline = json.loads(m.group(1))
    out = {f"at_{k}_s": round(timeline[k] - killed_at_wall, 3) if k in timeline else None
           for k in TIMELINE_KEYS}
    out["confirmed_by"] = timeline.get("confirmed_by")
    return out


def _first_write(standbys, deadline):
    """A client retrying every 50 ms until a write succeeds on a new primary."""
    conninfo = multi_host_conninfo(standbys, timeout=1)
    attempts = 0
    while time.monotonic() < deadline:
        attempts += 1
        try:
            with psycopg.connect(conninfo, autocommit=True) as conn:
                conn.execute("INSERT INTO bench_writes DEFAULT VALUES")
                return time.monotonic(), attempts
        except psycopg.Error:
            time.sleep(0.05)
    return None, attempts


# --- 1, 2: failover: bench/failover.py ------------------------------------
def _tail(text, n=3):
    return " | ".join(text.strip().splitlines()[-n:])


# --- 3: false positive ------------------------------------------------------
def run_false_positive(env, tool, freeze_s=5):
    observe_s = 15 if env.quick else 30
    c = env.cluster(tool)
    try:
        c.build(standbys=2, witness=True, settings=failover_settings(tool, tuned=False))
        c.start_daemons()
        _settle(c, 5)
        pids = freeze_tree(c.primary.pid(), signal.SIGSTOP)
        try:
            time.sleep(freeze_s)
        finally:
            for p in pids:
                try:
                    os.kill(p, signal.SIGCONT)
                except ProcessLookupError:
                    pass
        time.sleep(observe_s)
        promoted = [s.name for s in c.standbys if is_writable_primary(s)]
        old_ok = is_writable_primary(c.primary)
        return {"seconds": None, "failovers": len(promoted), "promoted": promoted,
                "old_primary_still_primary": old_ok, "frozen_s": freeze_s,
                "observed_after_thaw_s": observe_s}
    finally:
        c.teardown()


# --- 4: switchover ----------------------------------------------------------
class Writer(threading.Thread):
    """Writes a row every 10 ms through a multi-host read-write conninfo,
    reconnecting on errors; remembers which ids were acknowledged and when."""

    def __init__(self, nodes):
        super().__init__(daemon=True)
        self.conninfo = multi_host_conninfo(nodes, timeout=1)
        self.committed = []  # (id, monotonic time of the acknowledgement)
        self.stop_flag = threading.Event()

    def run(self):
        conn, next_id = None, 1
        while not self.stop_flag.is_set():
            try:
                if conn is None:
                    conn = psycopg.connect(self.conninfo, autocommit=True)
                conn.execute("INSERT INTO bench_sw (id) VALUES (%s)", (next_id,))
                self.committed.append((next_id, time.monotonic()))
            except psycopg.Error:
                if conn is not None:
                    try:
                        conn.close()
                    except psycopg.Error:
                        pass
                conn = None
            next_id += 1
            self.stop_flag.wait(0.01)
        if conn is not None:
            conn.close()

    def stop(self):
        self.stop_flag.set()
        self.join(timeout=10)


def _switchover_measured(nodes, target, switch):
    """Runs `switch()` (returns (ok, why)) with a Writer on `nodes`; returns
    the longest gap between acknowledged commits from its start until 2 s
    after it returned, its time, and the committed rows `target` lacks."""
    wait_until(lambda: all(streams_from(s, nodes[0]) for s in nodes[1:]), timeout=60)
    writer = Writer(nodes)
    writer.start()
    try:
        time.sleep(1)
        t0 = time.monotonic()
        ok, why = switch()
        t1 = time.monotonic()
        if ok:
            # Patroni's API answers once the candidate holds the leader key,
            # before its promotion ends: the gap runs until the client writes.
            wait_until(lambda: writer.committed and writer.committed[-1][1] > t1, timeout=120,
                       interval=0.05, what="the client to write after the switchover")
        time.sleep(2)
    finally:
        writer.stop()
    if not ok:
        raise RuntimeError(f"switchover failed: {why}")
    if not is_writable_primary(target):
        raise RuntimeError("switchover returned 0 but the target is not a writable primary")
    times = [t for _, t in writer.committed]
    before = [t for t in times if t < t0]
    window = ([before[-1]] if before else [t0]) + [t for t in times if t >= t0]
    gap = max((b - a for a, b in zip(window, window[1:])), default=None)
    if gap is None or not any(t > t1 for t in times):
        raise RuntimeError("the client never wrote again after the switchover")
    present = {row[0] for row in target.sql("SELECT id FROM bench_sw")}
    lost = [i for i, _ in writer.committed if i not in present]
    return {"seconds": gap, "command_s": t1 - t0, "rows_committed": len(writer.committed),
            "rows_lost": len(lost)}


def run_switchover(env, tool):
    c = env.cluster(tool, sshd=env.sshd())
    try:
        c.build(standbys=2)
        c.primary.sql("CREATE TABLE bench_sw (id int PRIMARY KEY)")
        target = c.standbys[0]

        def switch():
            r = c.repmgr(target, "standby", "switchover", "--siblings-follow", check=False,
                         timeout=300)
            return r.returncode == 0, f"({r.returncode}) {_tail(r.stderr, 4)}"

        return _switchover_measured(c.all_nodes(), target, switch)
    finally:
        c.teardown()


def run_patroni_switchover(env):
    """Patroni 3.0.2 with its defaults: `patronictl switchover` from node1 to
    node2 (its config file names the etcd members and the scope)."""
    from patroni import PATRONI_DEFAULT, PatroniCluster
    c = PatroniCluster(env.prefix, env.template_cache, PATRONI_DEFAULT, scope="bench-sw")
    try:
        c.build()
        c.primary.sql("CREATE TABLE bench_sw (id int PRIMARY KEY)")
        target = c.standbys[0]
        conf = c.patronis[c.primary.name].conf

        def switch():
            r = run_as_user(["patronictl", "-c", conf, "switchover", "--leader", c.primary.name,
                             "--candidate", target.name, "--force", c.scope],
                            check=False, timeout=300)
            # patronictl exits 0 also when the REST API reports a failure
            return (r.returncode == 0 and "Successfully switched over" in r.stdout,
                    f"({r.returncode}) {_tail(r.stdout + r.stderr, 4)}")

        result = _switchover_measured([c.primary] + c.standbys, target, switch)
        if c.role(target.name) not in ("master", "primary"):
            raise RuntimeError(f"Patroni reports {target.name} as {c.role(target.name)}")
        return result
    finally:
        c.teardown()


# --- 5: clone -----------------------------------------------------------------
# pgbench scale for about 2 GB of data (scale 50 gave 755 MB: ~15.1 MB a unit)
CLONE_SCALE = 136
CLONE_TOOLS = ["ours", "repmgr5", "pg_basebackup"]


class CloneSource:
    """One primary with a pgbench database (generated once), registered with
    ours and with repmgr 5 (each keeps its own metadata schema), cloned from
    repeatedly by our `repmgr standby clone`, repmgr 5's, and plain
    pg_basebackup with the options ours passes it (src/pg/basebackup.cpp)."""

    def __init__(self, env, scale=CLONE_SCALE):
        self.env = env
        self.c = env.cluster(env.tools["ours"])
        self.scale = scale
        self.confs = {}  # tool name -> the target node's config file

    def __enter__(self):
        try:
            return self._setup()
        except BaseException:
            self.c.teardown()  # a failed __enter__ gets no __exit__
            raise

    def _tool_conf(self, tool_name, node, node_id, filename):
        conf, lines = self.env.tools[tool_name].conf_lines(node, node_id, {})
        path = os.path.join(node.confdir, filename)
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(path, 0o600)
        self.c.h.chown(path)
        return path

    def _setup(self):
        c = self.c
        c.build(standbys=0)
        p = c.primary
        # repmgr 5's clone checks its extension and metadata on the source
        r5 = self._tool_conf("repmgr5", p, 1, "repmgr5.conf")
        run_as_user([self.env.tools["repmgr5"].repmgr, "-f", r5, "primary", "register"])
        t0 = time.monotonic()
        run_as_user([f"{PG_BIN}/pgbench", "-i", "-q", "-s", str(self.scale), "-h", "127.0.0.1",
                     "-p", str(p.port), "-U", "repmgr", "repmgr"], timeout=1800)
        p.sql("CHECKPOINT")
        self.generate_s = round(time.monotonic() - t0, 1)
        self.size_mb = p.sql_one("SELECT pg_database_size('repmgr') / 1048576")
        self.cluster_mb = p.sql_one("SELECT (sum(pg_database_size(oid)) / 1048576)::bigint FROM pg_database")
        self.target = c.h.node("clone")
        os.makedirs(self.target.confdir, exist_ok=True)
        c.h.chown(self.target.confdir)
        self.confs["ours"] = c.write_conf(self.target, 2)
        self.confs["repmgr5"] = self._tool_conf("repmgr5", self.target, 2, "repmgr5.conf")
        return self

    def __exit__(self, *exc):
        self.c.teardown()

    def _clean(self):
        shutil.rmtree(self.target.datadir, ignore_errors=True)

    def command(self, tool_name):
        p, d = self.c.primary, self.target.datadir
        if tool_name == "pg_basebackup":
            # what ours runs: -D, -d <the source conninfo>, -X stream, -c fast
            return [f"{PG_BIN}/pg_basebackup", "-D", d, "-d",
                    f"host=127.0.0.1 port={p.port} user=repmgr dbname=repmgr",
                    "-X", "stream", "-c", "fast"]
        return [self.env.tools[tool_name].repmgr, "-f", self.confs[tool_name], "-h", "127.0.0.1",
                "-p", str(p.port), "-U", "repmgr", "-d", "repmgr", "-D", d, "-c",
                "standby", "clone"]

    def run(self, tool_name):
        self._clean()
        t0 = time.monotonic()
        r = run_as_user(self.command(tool_name), check=False, timeout=1800)
        elapsed = time.monotonic() - t0
        ok = r.returncode == 0 and os.path.exists(os.path.join(self.target.datadir, "PG_VERSION"))
        self._clean()
        if not ok:
            raise RuntimeError(f"{tool_name} clone failed ({r.returncode}): {_tail(r.stderr, 4)}")
        return {"seconds": elapsed, "database_mb": self.size_mb, "cluster_mb": self.cluster_mb}


# --- 6: cluster show --------------------------------------------------------
class ShowCluster:
    """Six running nodes and two black holes registered in one tool's metadata."""

    def __init__(self, env, tool):
        self.c = env.cluster(tool)
        self.holes = []

    def __enter__(self):
        try:
            return self._setup()
        except BaseException:
            self.__exit__(None, None, None)  # a failed __enter__ gets no __exit__
            raise

    def _setup(self):
        c = self.c
        c.build(standbys=5)
        for node_id in (7, 8):
            hole = BlackHole()
            self.holes.append(hole)
            conninfo = (f"host=127.0.0.1 port={hole.port} user=repmgr dbname=repmgr "
                        f"connect_timeout=2")
            if c.tool.name == "repmgr5":
                sql = ("INSERT INTO repmgr.nodes (node_id, upstream_node_id, active, node_name, "
                       "type, location, priority, conninfo, repluser, config_file) VALUES "
                       "(%s, 1, true, %s, 'standby', 'default', 100, %s, 'repmgr', '/dev/null')")
            else:
                sql = ("INSERT INTO repmgr_bench.repl_nodes (id, upstream_node_id, active, name, "
                       "type, cluster, priority, conninfo) VALUES "
                       "(%s, 1, true, %s, 'standby', 'bench', 100, %s)")
            c.primary.sql(sql, (node_id, f"blackhole{node_id}", conninfo), dbname="repmgr")
        # wait until the standbys have replayed the rows (show may read from them)
        for s in c.standbys:
            wait_until(lambda s=s: len(s.sql(c.tool.nodes_sql(), dbname="repmgr")) == 8,
                       timeout=30, what="node rows on the standbys")
        return self

    def __exit__(self, *exc):
        for hole in self.holes:
            hole.close()
        self.c.teardown()

    def run(self):
        node = self.c.standbys[0]
        t0 = time.monotonic()
        r = self.c.repmgr(node, "cluster", "show", check=False, timeout=120)
        elapsed = time.monotonic() - t0
        rows = [l for l in r.stdout.splitlines() if "blackhole" in l or "node" in l]
        if len([l for l in rows if "|" in l]) < 8:
            raise RuntimeError(f"cluster show listed fewer than 8 nodes (exit {r.returncode}): "
                               f"{_tail(r.stdout + r.stderr, 6)}")
        return {"seconds": elapsed, "exit_code": r.returncode}


# --- synchronous=on vs off (docs/failover.md "Zero data loss") --------------
def _wait_sync_standby(primary, timeout=30):
    wait_until(lambda: primary.sql_one("SELECT count(*) FROM pg_stat_replication "
                                       "WHERE sync_state = 'sync'") == 1,
               timeout=timeout, what="repmgrd to name a synchronous standby")


def _tuned_failover(env, tool, settings, before_kill=None):
    """The tuned failover of ours with `settings`: kill -9 of the primary's
    postmaster -> first write on a standby; `before_kill(cluster)` runs once
    the daemons have settled."""
    c = env.cluster(tool)
    try:
        c.build(standbys=2, witness=True, settings=settings)
        c.primary.sql("CREATE TABLE bench_writes (id serial PRIMARY KEY, at timestamptz DEFAULT now())")
        for s in c.standbys:
            wait_until(lambda s=s: streams_from(s, c.primary), timeout=30, what="streaming")
        c.start_daemons()
        _settle(c, 5)
        if before_kill:
            before_kill(c)
        pid = c.primary.pid()
        t0 = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        t_write, attempts = _first_write(c.standbys, t0 + 90)
        if t_write is None:
            raise RuntimeError(f"no standby accepted a write within 90 s of kill -9; last log "
                               f"lines: {_tail(c.daemon_log(c.standbys[0].name))}")
        return {"seconds": t_write - t0, "write_attempts": attempts}
    finally:
        c.teardown()


def run_failover_synchronous(env, tool, mode):
    """Ours only: the tuned failover with repmgr.conf synchronous=`mode`."""
    settings = dict(failover_settings(tool, True), synchronous=mode)
    return _tuned_failover(env, tool, settings,
                           None if mode == "off" else lambda c: _wait_sync_standby(c.primary))


# --- guard_timeout on vs off (docs/failover.md "The guard") -----------------
def run_failover_guard(env, tool, guard_timeout):
    """Ours only: the tuned failover after the primary's repmgrd was killed
    first, with repmgr.conf guard_timeout=`guard_timeout`."""
    def kill_primary_repmgrd(c):
        d = next(d for d in c.h.daemons if d.node is c.primary)
        os.kill(d.pid, signal.SIGKILL)
        time.sleep(1)

    settings = dict(failover_settings(tool, True), guard_timeout=guard_timeout)
    return _tuned_failover(env, tool, settings, kill_primary_repmgrd)


def run_pgbench_sync_vs_async(env, tool, seconds):
    """Ours only: pgbench TPS (simple-update, 4 clients) on a primary whose
    repmgrd (synchronous=on) named a synchronous standby, with
    synchronous_commit=on (waits for it) and =local (does not), alternating
    on the same cluster."""
    c = env.cluster(tool)
    try:
        c.build(standbys=2, witness=False, settings=dict(failover_settings(tool, True),
                                                         synchronous="on"))
        p = c.primary
        run_as_user([f"{PG_BIN}/pgbench", "-i", "-q", "-s", "4", "-h", "127.0.0.1",
                     "-p", str(p.port), "-U", "repmgr", "repmgr"], timeout=600)
        for s in c.standbys:
            wait_until(lambda s=s: streams_from(s, p), timeout=60, what="streaming")
        c.start_daemons()
        _settle(c, 3)
        _wait_sync_standby(p)
        tps = {"on": [], "local": []}
        for commit in ("on", "local", "local", "on"):
            out = run_as_user([f"{PG_BIN}/pgbench", "-N", "-c", "4", "-j", "2", "-T", str(seconds),
                               "-h", "127.0.0.1", "-p", str(p.port), "-U", "repmgr", "repmgr"],
                              env={"PGOPTIONS": f"-c synchronous_commit={commit}"},
                              timeout=seconds + 120).stdout
            m = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out)
            tps[commit].append(float(m.group(1)) if m else None)
        sync = sum(tps["on"]) / len(tps["on"])
        asynchronous = sum(tps["local"]) / len(tps["local"])
        return {"seconds": None, "tps_sync": round(sync, 1), "tps_async": round(asynchronous, 1),
                "tps_ratio_sync_to_async": round(sync / asynchronous, 3)}
    finally:
        c.teardown()
