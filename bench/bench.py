#!/usr/bin/python3
"""Benchmark driver: runs each scenario with our binaries and Debian's repmgr
5.3 (and, for clone, plain pg_basebackup; for switchover, Patroni 3.0.2) on
identical clusters, alternating runs, and prints one JSON object per tool and
a ratio line per scenario.

Run it through bench/run (which installs packages and builds ours)."""

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
import shutil
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))  # the test library, tests/pylib
sys.path.insert(0, HERE)

from clusters import REPMGR5_BIN, Tool, make_bench_template  # noqa: E402
import failover  # noqa: E402
import footprint  # noqa: E402
import scale  # noqa: E402
import scenarios  # noqa: E402
from pylib.harness import RUN_AS  # noqa: E402

SCENARIOS = ["failover_default", "failover_tuned", "failover_node_default", "failover_node_tuned",
             "failover_net_default", "failover_net_tuned",
             "false_positive", "switchover", "clone",
             "cluster_show", "footprint", "synchronous", "guard", "scale"]


def emit(obj):
    print(json.dumps(obj), flush=True)


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def summarize(scenario, tool, results, errors, extra=None):
    """One JSON line: runs, median/min/max of the headline seconds, medians of
    the numeric extras, and the first error if any run failed."""
    out = {"scenario": scenario, "tool": tool, "runs": len(results)}
    secs = [r["seconds"] for r in results if r.get("seconds") is not None]
    if secs:
        out.update(median_s=round(statistics.median(secs), 3), min_s=round(min(secs), 3),
                   max_s=round(max(secs), 3))
    elif results:
        out.update(median_s=None, min_s=None, max_s=None)
    keys = [k for k in (results[0] if results else {}) if k != "seconds"]
    for k in keys:
        values = [r.get(k) for r in results]
        numeric = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if numeric and len(numeric) == len(values):
            if k in ("rows_lost", "rows_committed", "failovers"):
                out[k] = sum(numeric)  # totals over all runs
            else:
                out[f"{k}_median"] = round(statistics.median(numeric), 3)
        else:
            out[k] = values  # one entry per run (flags, names, missing figures)
    if extra:
        out.update(extra)
    if errors:
        out["error"] = errors[0]
        if len(errors) > 1:
            out["failed_runs"] = len(errors)
    emit(out)
    return out


def ratio(a, b, key="median_s"):
    if not a or not b or a.get(key) is None or b.get(key) in (None, 0):
        return None
    return round(a[key] / b[key], 3)


def alternate(runs, tools, run_one, label, cycle=False):
    """Runs `run_one(tool_name)` runs times per tool, alternating which tool
    goes first (with cycle, always in the same order: A, B, C, A, B, C, ...);
    a tool that fails is not run again in this scenario."""
    results = {t: [] for t in tools}
    errors = {t: [] for t in tools}
    for i in range(runs):
        order = tools if cycle or i % 2 == 0 else list(reversed(tools))
        for t in order:
            if errors[t]:
                continue
            log(f"{label}: {t} run {i + 1}/{runs}")
            try:
                r = run_one(t)
                results[t].append(r)
                log(f"{label}: {t} -> {json.dumps(r)}")
            except KeyboardInterrupt:
                raise
            except Exception as e:  # noqa: BLE001 - reported as this tool's error
                errors[t].append(f"{type(e).__name__}: {e}"[:800])
                log(f"{label}: {t} failed: {traceback.format_exc()[-1500:]}")
    return results, errors


def side_by_side(env, name, runs, run_one):
    results, errors = alternate(runs, ["ours", "repmgr5"],
                                lambda t: run_one(env.tools[t]), name)
    ours = summarize(name, "ours", results["ours"], errors["ours"])
    peer = summarize(name, "repmgr5", results["repmgr5"], errors["repmgr5"])
    return ours, peer


# (a, b) pairs of failover variants whose ratio a/b the ratio line carries
FAILOVER_RATIOS = [("ours", "repmgr5"), ("ours_etcd", "repmgr5"), ("ours_etcd", "ours"),
                   ("ours", "patroni"), ("ours_etcd", "patroni"), ("repmgr5", "patroni")]


def scenario_failover(env, name, tuned, kill):
    """Every variant on its own cluster, alternating, the same kill for all:
    failover.py's "postgres" kill for ours, ours arbiter=etcd and repmgr 5
    (Patroni restarts a killed postmaster in place), its "node" kill and
    "network" cut (bench/hostdeath.py) for those and Patroni."""
    runs = env.runs or (1 if env.quick else 3)
    variants = ["ours", "ours_etcd", "repmgr5"] + (["patroni"] if kill != "postgres" else [])
    results, errors = alternate(runs, variants,
                                lambda v: failover.run_failover(env, v, tuned, kill), name)
    out = {v: summarize(name, failover.LABELS[v], results[v], errors[v],
                        {"kill": kill, "settings": failover.settings_note(v, tuned)})
           for v in variants}
    line = {"scenario": name}
    for a, b in FAILOVER_RATIOS:
        if a in out and b in out:
            line[f"ratio_{a}_to_{b}"] = ratio(out[a], out[b])
            streams = ("ratio_other_standby_streams" if (a, b) == ("ours", "repmgr5")
                       else f"ratio_other_standby_streams_{a}_to_{b}")
            line[streams] = ratio(out[a], out[b], "other_standby_streams_s_median")
    emit(line)


def scenario_false_positive(env, name):
    runs = 1 if env.quick else 3
    ours, peer = side_by_side(env, name, runs,
                              lambda tool: scenarios.run_false_positive(env, tool))
    line = {"scenario": name, "ratio_ours_to_repmgr5": None,
            "ours_failovers": ours.get("failovers"), "repmgr5_failovers": peer.get("failovers"),
            "ours_pass": ours.get("failovers") == 0 and "error" not in ours,
            "repmgr5_pass": peer.get("failovers") == 0 and "error" not in peer}
    emit(line)


def scenario_switchover(env, name):
    """Ours and repmgr 5 (`standby switchover --siblings-follow`) and Patroni
    3.0.2 with its defaults (`patronictl switchover --force`), alternating."""
    runs = 2 if env.quick else 5

    def run_one(t):
        if t == "patroni":
            return scenarios.run_patroni_switchover(env)
        return scenarios.run_switchover(env, env.tools[t])

    tools = ["ours", "repmgr5", "patroni"]
    results, errors = alternate(runs, tools, run_one, name)
    patroni_extra = {"settings": failover.settings_note("patroni", False)}
    out = {t: summarize(name, t, results[t], errors[t], patroni_extra if t == "patroni" else None)
           for t in tools}
    ours, peer, patroni = out["ours"], out["repmgr5"], out["patroni"]
    emit({"scenario": name, "ratio_ours_to_repmgr5": ratio(ours, peer),
          "ratio_command": ratio(ours, peer, "command_s_median"),
          "ratio_ours_to_patroni": ratio(ours, patroni),
          "ratio_command_ours_to_patroni": ratio(ours, patroni, "command_s_median")})


def scenario_clone(env, name):
    """Ours, repmgr 5 and raw pg_basebackup in turn (A, B, C, A, B, C, ...)
    cloning the same ~2 GB primary, generated once for the scenario."""
    runs = 2 if env.quick else 5
    tools = scenarios.CLONE_TOOLS
    t0 = time.monotonic()
    extra = {}
    try:
        with scenarios.CloneSource(env) as src:
            extra = {"pgbench_scale": src.scale, "generate_s": src.generate_s}
            results, errors = alternate(runs, tools, src.run, name, cycle=True)
    except Exception as e:  # noqa: BLE001 - setup failed: report for all
        log(traceback.format_exc())
        results = {t: [] for t in tools}
        errors = {t: [f"setup: {type(e).__name__}: {e}"[:800]] for t in tools}
    extra.update(note="standby clone -c (ours, repmgr 5) vs pg_basebackup -X stream -c fast",
                 scenario_s=round(time.monotonic() - t0))
    out = {t: summarize(name, t, results[t], errors[t], extra) for t in tools}
    emit({"scenario": name, "ratio_ours_to_repmgr5": ratio(out["ours"], out["repmgr5"]),
          "ratio_ours_to_pg_basebackup": ratio(out["ours"], out["pg_basebackup"]),
          "ratio_repmgr5_to_pg_basebackup": ratio(out["repmgr5"], out["pg_basebackup"]),
          # best against best: what is left of the difference without the load's outliers
          "ratio_min_ours_to_pg_basebackup": ratio(out["ours"], out["pg_basebackup"], "min_s")})


def scenario_cluster_show(env, name):
    runs = 3 if env.quick else 7
    clusters, errors0 = {}, {}
    try:
        for t in ("ours", "repmgr5"):
            try:
                clusters[t] = scenarios.ShowCluster(env, env.tools[t]).__enter__()
            except KeyboardInterrupt:
                raise
            except Exception as e:  # noqa: BLE001
                log(traceback.format_exc())
                errors0[t] = f"setup: {type(e).__name__}: {e}"[:800]
        tools = list(clusters)
        results, errors = alternate(runs, tools, lambda t: clusters[t].run(), name)
    finally:
        for c in clusters.values():
            c.__exit__(None, None, None)
    extra = {"nodes": 8, "black_holes": 2, "connect_timeout": 2}
    out = {}
    for t in ("ours", "repmgr5"):
        errs = ([errors0[t]] if t in errors0 else []) + errors.get(t, [])
        out[t] = summarize(name, t, results.get(t, []), errs, extra)
    emit({"scenario": name, "ratio_ours_to_repmgr5": ratio(out["ours"], out["repmgr5"])})


def scenario_footprint(env, name):
    """The daemon on a standby (bench/footprint.py): ours without and with
    HTTP, repmgr 5.3 and Patroni, each with its defaults, alternating."""
    runs = 1 if env.quick else 2
    window = 20 if env.quick else 60
    results, errors = alternate(runs, footprint.VARIANTS,
                                lambda v: footprint.run_footprint(env, v, window), name)
    extra = {"window_s": window, "settings": "each tool's defaults",
             "median_s_is": "the daemon's CPU seconds over the window", "quick_window": env.quick}
    lines = {v: summarize(name, footprint.LABELS[v], results[v], errors[v], extra)
             for v in footprint.VARIANTS}
    ours, http, peer, patroni = (lines[v] for v in footprint.VARIANTS)
    emit({"scenario": name, "ratio_ours_to_repmgr5": ratio(ours, peer),
          "ratio_rss": ratio(ours, peer, "rss_kb_max_median"),
          "ratio_pss": ratio(ours, peer, "pss_kb_max_median"),
          "ratio_rss_http_to_repmgr5": ratio(http, peer, "rss_kb_max_median"),
          "ratio_pss_http_to_repmgr5": ratio(http, peer, "pss_kb_max_median"),
          "ratio_rss_to_patroni": ratio(ours, patroni, "rss_kb_max_median"),
          "ratio_pss_to_patroni": ratio(ours, patroni, "pss_kb_max_median"),
          "ratio_primary_cpu": ratio(ours, peer, "primary_server_cpu_s_per_min_median"),
          "ratio_primary_cpu_to_patroni": ratio(ours, patroni,
                                                "primary_server_cpu_s_per_min_median")})


def scenario_synchronous(env, name):
    """Ours with synchronous=on next to synchronous=off in the same run:
    failover time (tuned settings, kill -9 -> first write), and the commit
    rate cost (pgbench TPS with commits waiting for the synchronous standby
    vs not)."""
    runs = env.runs or (1 if env.quick else 3)
    ours = env.tools["ours"]
    results, errors = alternate(runs, ["on", "off"],
                                lambda mode: scenarios.run_failover_synchronous(env, ours, mode),
                                name)
    on = summarize(f"{name}_failover", "ours synchronous=on", results["on"], errors["on"])
    off = summarize(f"{name}_failover", "ours synchronous=off", results["off"], errors["off"])
    seconds = 10 if env.quick else 30
    tps, tps_errors = alternate(1, ["ours"],
                                lambda t: scenarios.run_pgbench_sync_vs_async(env, ours, seconds),
                                name)
    summarize(f"{name}_tps", "ours synchronous=on", tps["ours"], tps_errors["ours"],
              {"pgbench_seconds": seconds, "clients": 4})
    emit({"scenario": name, "ratio_failover_on_to_off": ratio(on, off),
          "ratio_tps_sync_to_async": tps["ours"][0]["tps_ratio_sync_to_async"]
          if tps["ours"] else None})


def scenario_guard(env, name):
    """Ours with guard_timeout=2 next to guard_timeout=0 in the same run: the
    primary's repmgrd killed (kill -9), then its postmaster (tuned settings,
    kill -9 -> first write). No crash report comes; with the guard on, the
    standbys also wait for the guard's bound (docs/failover.md, "The guard")."""
    runs = env.runs or (1 if env.quick else 3)
    ours = env.tools["ours"]
    results, errors = alternate(runs, ["on", "off"],
                                lambda mode: scenarios.run_failover_guard(
                                    env, ours, 2 if mode == "on" else 0), name)
    on = summarize(f"{name}_failover", "ours guard_timeout=2", results["on"], errors["on"])
    off = summarize(f"{name}_failover", "ours guard_timeout=0", results["off"], errors["off"])
    emit({"scenario": name, "ratio_failover_guard_on_to_off": ratio(on, off)})


def scenario_scale(env, name):
    """1 primary + 15 standbys + witness, repmgrd everywhere, defaults
    (bench/scale.py): every figure with its median, min and max."""
    runs = env.runs or (1 if env.quick else 3)
    window = 20 if env.quick else 60
    results, errors = alternate(runs, ["ours", "repmgr5"],
                                lambda t: scale.run_scale(env, env.tools[t], window), name)
    out = {t: summarize(name, t, results[t], errors[t],
                        dict(scale.notes(window), **scale.spreads(results[t])))
           for t in ("ours", "repmgr5")}
    o, p = out["ours"], out["repmgr5"]
    emit({"scenario": name, "ratio_ours_to_repmgr5": ratio(o, p),
          "ratio_last_standby_streams": ratio(o, p, "last_standby_streams_s_median"),
          "ratio_cluster_show": ratio(o, p, "cluster_show_s_median"),
          "ratio_primary_cpu": ratio(o, p, "primary_server_cpu_s_per_min_median")})


class LazySshd:
    def __init__(self):
        self.sshd = None

    def __call__(self):
        if self.sshd is None:
            from pylib.sshd import Sshd
            self.sshd = Sshd().start()
        return self.sshd

    def stop(self):
        if self.sshd is not None:
            self.sshd.stop()


def _interrupt(*_):
    raise KeyboardInterrupt()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--prefix", required=True, help="installed build of ours")
    ap.add_argument("--quick", action="store_true", help="fewer runs, shorter windows")
    ap.add_argument("--only", default="", help="comma-separated scenario names")
    ap.add_argument("--runs", type=int, default=None,
                    help="runs per tool of the failover scenarios (default: 3, 1 with --quick)")
    args = ap.parse_args()
    only = [s for s in args.only.split(",") if s]
    unknown = [s for s in only if s not in SCENARIOS]
    if unknown:
        ap.error(f"unknown scenario(s) {unknown}; choose from {', '.join(SCENARIOS)}")
    if os.geteuid() != 0:
        ap.error("run as root (servers and tools run as the postgres user)")

    # SIGTERM behaves like Ctrl-C, so every finally: tears its cluster down
    signal.signal(signal.SIGTERM, _interrupt)

    base = tempfile.mkdtemp(prefix="repmgr-bench-template-")
    os.chmod(base, 0o755)
    shutil.chown(base, RUN_AS, RUN_AS)
    cache = {}

    def template():
        if "path" not in cache:
            cache["path"] = make_bench_template(base)
        return cache["path"]

    tools = {"ours": Tool("ours", os.path.join(args.prefix, "bin")),
             "repmgr5": Tool("repmgr5", REPMGR5_BIN)}
    sshd = LazySshd()
    env = scenarios.Env(tools, args.prefix, template, args.quick, sshd)
    env.runs = args.runs
    handlers = {
        "failover_default": lambda n: scenario_failover(env, n, False, "postgres"),
        "failover_tuned": lambda n: scenario_failover(env, n, True, "postgres"),
        "failover_node_default": lambda n: scenario_failover(env, n, False, "node"),
        "failover_node_tuned": lambda n: scenario_failover(env, n, True, "node"),
        "failover_net_default": lambda n: scenario_failover(env, n, False, "network"),
        "failover_net_tuned": lambda n: scenario_failover(env, n, True, "network"),
        "false_positive": lambda n: scenario_false_positive(env, n),
        "switchover": lambda n: scenario_switchover(env, n),
        "clone": lambda n: scenario_clone(env, n),
        "cluster_show": lambda n: scenario_cluster_show(env, n),
        "footprint": lambda n: scenario_footprint(env, n),
        "synchronous": lambda n: scenario_synchronous(env, n),
        "guard": lambda n: scenario_guard(env, n),
        "scale": lambda n: scenario_scale(env, n),
    }
    try:
        for name in SCENARIOS:
            if only and name not in only:
                continue
            log(f"scenario {name} ({'quick' if args.quick else 'full'})")
            handlers[name](name)
    except KeyboardInterrupt:
        log("interrupted: servers of the current run were torn down")
        return 130
    finally:
        sshd.stop()
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
