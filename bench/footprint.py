"""The footprint scenario: the daemon on a standby, sampled every second over
a window, for four variants: ours with the defaults (no HTTP), ours with the
HTTP endpoints on, repmgr 5.3, and Patroni 3.0.2 (the Python process on a
standby, on its own three etcd members). Each variant runs with its tool's
default monitoring settings.

Resident size is reported two ways, from /proc/<pid>/smaps_rollup: RSS
counts every page the process maps, shared libraries in full; PSS divides
each shared page by the number of processes mapping it (on a real node the
PostgreSQL server shares libc, libcrypto, libssl and Kerberos with the
daemon). The last sample's /proc/<pid>/smaps, summed per file, says what each
library costs."""

import collections
import itertools
import time

from clusters import proc_cpu_seconds, server_cpu_seconds
from pylib.harness import free_port
from patroni import PATRONI_DEFAULT, PatroniCluster
from scenarios import _settle, _tail

VARIANTS = ["ours", "ours_http", "repmgr5", "patroni"]
LABELS = {"ours": "ours", "ours_http": "ours with HTTP", "repmgr5": "repmgr5",
          "patroni": "patroni"}
_runs = itertools.count(1)


def rollup_kb(pid):
    """(RSS, PSS) in kB of a live process."""
    values = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if parts and parts[0] in ("Rss:", "Pss:"):
                values[parts[0]] = int(parts[1])
    return values["Rss:"], values["Pss:"]


def per_file_kb(pid, top=14):
    """{mapping: [RSS kB, PSS kB]} of the `top` largest by RSS; the program
    itself by its file name, anonymous memory and the heap "[anon+heap]"."""
    sums = collections.defaultdict(lambda: [0, 0])
    name = "[anon+heap]"
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            if not parts[0].endswith(":"):  # a mapping's header line
                path = parts[5] if len(parts) > 5 else ""
                name = path.rsplit("/", 1)[-1] if path.startswith("/") else "[anon+heap]"
                if path.startswith("[") and path not in ("[heap]",):
                    name = path
                continue
            if parts[0] == "Rss:":
                sums[name][0] += int(parts[1])
            elif parts[0] == "Pss:":
                sums[name][1] += int(parts[1])
    biggest = sorted(sums.items(), key=lambda kv: -kv[1][0])[:top]
    return {k: v for k, v in biggest if v[0] > 0}


def _sample(pid, primary_pid, window_s, alive, what_died):
    cpu0, pcpu0 = proc_cpu_seconds(pid), server_cpu_seconds(primary_pid)
    rss, pss = [], []
    t0 = time.monotonic()
    while time.monotonic() - t0 < window_s:
        time.sleep(1)
        if not alive():
            raise RuntimeError(f"the daemon exited: {what_died()}")
        r, p = rollup_kb(pid)
        rss.append(r)
        pss.append(p)
    elapsed = time.monotonic() - t0
    cpu = proc_cpu_seconds(pid) - cpu0
    pcpu = server_cpu_seconds(primary_pid) - pcpu0
    return {"seconds": cpu, "window_s": round(elapsed, 1),
            "rss_kb_max": max(rss), "rss_kb_last": rss[-1],
            "pss_kb_max": max(pss), "pss_kb_last": pss[-1],
            "cpu_s_per_min": cpu * 60 / elapsed,
            "primary_server_cpu_s_per_min": pcpu * 60 / elapsed,
            "libraries_kb": per_file_kb(pid)}


def run_footprint(env, variant, window_s):
    if variant == "patroni":
        return _run_patroni(env, window_s)
    tool = env.tools["repmgr5" if variant == "repmgr5" else "ours"]
    c = env.cluster(tool)
    try:
        settings = {}
        if variant == "ours_http":
            settings = {"http_listen_address": "'127.0.0.1'", "http_port": free_port()}
        c.build(standbys=1, settings=settings)
        standby = c.standbys[0]
        c.start_daemons([standby])
        _settle(c, 3)
        daemon = c.h.daemons[0]
        return _sample(daemon.pid, c.primary.pid(), window_s, daemon.alive,
                       lambda: _tail(c.daemon_log(standby.name)))
    finally:
        c.teardown()


def _run_patroni(env, window_s):
    c = PatroniCluster(env.prefix, env.template_cache, PATRONI_DEFAULT,
                       f"bench-footprint-{next(_runs)}-{int(time.time())}")
    try:
        c.build()
        standby = c.standbys[0]
        p = c.patronis[standby.name]
        time.sleep(3)
        return _sample(p.proc.pid, c.primary.pid(), window_s, p.alive,
                       lambda: _tail(c.log(standby.name)))
    finally:
        c.teardown()
