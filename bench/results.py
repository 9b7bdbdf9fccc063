#!/usr/bin/env python3
"""Writes bench/RESULTS.md, and only from committed files: the raw output of
the benchmark runs in bench/results/*.jsonl and the hand-kept notes on the
machine and the figures (bench/notes.md). Running it again on the same files
gives the same bytes (tests/meta checks the committed RESULTS.md).

A results file is a header line {"header": {...}} (command, start, minutes,
build, note) followed by the JSON lines bench/bench.py printed. The summary
takes each scenario from the newest run that has it (a later `--only` run
replaces the scenarios it ran); every run's raw lines follow.

usage: results.py [--check] [--out RESULTS.md]"""

import argparse
import glob
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")
OUT = os.path.join(HERE, "RESULTS.md")
MIB = 1024


def load(path):
    header, lines, raw = {}, [], []
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            obj = json.loads(line)
            if "header" in obj:
                header = obj["header"]
            else:
                lines.append(obj)
                raw.append(line.rstrip("\n"))
    return header, lines, raw


def latest(runs):
    """{scenario: {tool or "ratio": line}, with the run it came from}."""
    out = {}
    for i, (_, lines, _) in enumerate(runs):
        seen = {}
        for line in lines:
            key = line.get("tool", "ratio")
            seen.setdefault(line["scenario"], {})[key] = line
        for scenario, by_tool in seen.items():
            out[scenario] = dict(by_tool, run=i + 1)
    return out


def fmt(v, unit=" s"):
    return "-" if v is None else f"{v}{unit}"


def yes(ok):
    return "yes" if ok else "**no**"


def spread(line):
    if not line or line.get("min_s") is None:
        return None
    return line["max_s"] - line["min_s"]


def rows(s):
    """The summary rows: (what, ours, peer, ratio, target, met, run)."""
    out = []
    for name, target, limit in (("failover_default", "< 10 s and < 1/3 of repmgr 5", 10),
                                ("failover_tuned", "< 4 s", 4)):
        if name not in s:
            continue
        o, p, r = s[name].get("ours", {}), s[name].get("repmgr5", {}), s[name].get("ratio", {})
        ratio = r.get("ratio_ours_to_repmgr5")
        ok = o.get("median_s") is not None and o["median_s"] < limit and (
            name != "failover_default" or (ratio is not None and ratio < 1 / 3))
        out.append((f"{name}: kill -9 -> first write", fmt(o.get("median_s")),
                    fmt(p.get("median_s")), fmt(ratio, ""), target, yes(ok), s[name]["run"]))
        out.append(("... until the other standby streams from the new primary",
                    fmt(o.get("other_standby_streams_s_median")),
                    fmt(p.get("other_standby_streams_s_median")),
                    fmt(r.get("ratio_other_standby_streams"), ""), "", "", s[name]["run"]))
    if "false_positive" in s:
        o, p = s["false_positive"].get("ours", {}), s["false_positive"].get("repmgr5", {})
        frozen = o.get("frozen_s_median", "?")
        out.append((f"false_positive: failovers after a {frozen} s SIGSTOP (defaults)",
                    fmt(o.get("failovers"), ""), fmt(p.get("failovers"), ""), "-", "0",
                    yes(o.get("failovers") == 0 and "error" not in o),
                    s["false_positive"]["run"]))
    if "switchover" in s:
        o, p, r = (s["switchover"].get(k, {}) for k in ("ours", "repmgr5", "ratio"))
        run = s["switchover"]["run"]
        out.append(("switchover: client write gap", fmt(o.get("median_s")), fmt(p.get("median_s")),
                    fmt(r.get("ratio_ours_to_repmgr5"), ""), "< 2 s",
                    yes(o.get("median_s") is not None and o["median_s"] < 2), run))
        out.append(("switchover: whole command", fmt(o.get("command_s_median")),
                    fmt(p.get("command_s_median")), fmt(r.get("ratio_command"), ""), "", "", run))
        out.append(("switchover: committed rows lost",
                    f"{o.get('rows_lost', '-')} of {o.get('rows_committed', '-')}",
                    f"{p.get('rows_lost', '-')} of {p.get('rows_committed', '-')}", "-", "0",
                    yes(o.get("rows_lost") == 0), run))
    if "clone" in s:
        o, b, r = (s["clone"].get(k, {}) for k in ("ours", "pg_basebackup", "ratio"))
        ratio = r.get("ratio_ours_to_pg_basebackup")
        # A 5% difference can only be told apart when neither tool's runs
        # spread more than 5% of pg_basebackup's median.
        resolution = 0.05 * b["median_s"] if b.get("median_s") else None
        noisy = resolution is None or any(x is None or x > resolution
                                          for x in (spread(o), spread(b)))
        met = ("**not shown**: runs spread more than 5%" if noisy
               else yes(ratio is not None and ratio <= 1.05))
        mb = o.get("database_mb_median", "?")
        out.append((f"clone: `standby clone -c` vs `pg_basebackup -X stream -c fast`, {mb} MB",
                    fmt(o.get("median_s")), "(pg_basebackup) " + fmt(b.get("median_s")),
                    fmt(ratio, ""), "within 5% of pg_basebackup", met, s["clone"]["run"]))
    if "cluster_show" in s:
        o, p, r = (s["cluster_show"].get(k, {}) for k in ("ours", "repmgr5", "ratio"))
        ct = o.get("connect_timeout", 2)
        out.append((f"cluster_show: {o.get('nodes', '?')} nodes, {o.get('black_holes', '?')} "
                    f"black holes, connect_timeout={ct}", fmt(o.get("median_s")),
                    fmt(p.get("median_s")), fmt(r.get("ratio_ours_to_repmgr5"), ""),
                    f"<= connect_timeout + 1 s = {ct + 1} s",
                    yes(o.get("median_s") is not None and o["median_s"] <= ct + 1),
                    s["cluster_show"]["run"]))
    if "footprint" in s:
        o, p, r = (s["footprint"].get(k, {}) for k in ("ours", "repmgr5", "ratio"))
        run = s["footprint"]["run"]
        rss_o, rss_p = o.get("rss_kb_max_median"), p.get("rss_kb_max_median")
        out.append((f"footprint: repmgrd RSS (standby, monitor_interval_secs="
                    f"{o.get('monitor_interval_secs', '?')})",
                    f"{rss_o / MIB:.1f} MiB ({rss_o} kB)" if rss_o else "-",
                    f"{rss_p / MIB:.1f} MiB ({rss_p} kB)" if rss_p else "-",
                    fmt(r.get("ratio_rss"), ""), "< 10 MiB",
                    yes(rss_o is not None and rss_o < 10 * MIB), run))
        out.append(("footprint: repmgrd CPU per minute", fmt(o.get("cpu_s_per_min_median")),
                    fmt(p.get("cpu_s_per_min_median")), fmt(r.get("ratio_ours_to_repmgr5"), ""),
                    "", "", run))
        out.append(("footprint: CPU the checks cost the primary server, per minute",
                    fmt(o.get("primary_server_cpu_s_per_min_median")),
                    fmt(p.get("primary_server_cpu_s_per_min_median")),
                    fmt(r.get("ratio_primary_cpu"), ""), "", "", run))
    return out


FAILOVERS = ("failover_default", "failover_tuned", "failover_node_default", "failover_node_tuned",
             "failover_net_default", "failover_net_tuned")
KILL_LABELS = {"postgres": "postmaster", "node": "daemon + postmaster", "network": "network cut"}
VARIANTS = ("ours", "ours arbiter=etcd", "repmgr5", "patroni")
PATRONI_TARGET = (5, 1 / 3)  # issue 18: etcd mode, defaults: < 5 s and <= 1/3 of Patroni's


def div(a, b):
    return None if a is None or not b else round(a / b, 3)


def failover_rows(s):
    """The four-way failover table: (scenario, kill, ours, ours etcd, repmgr 5,
    Patroni, ours/Patroni, ours etcd/Patroni, ours etcd/ours, run)."""
    out = []
    for name in FAILOVERS:
        if name not in s:
            continue
        by = s[name]
        kill = next((by[v]["kill"] for v in VARIANTS if "kill" in by.get(v, {})), "postgres")
        first = "cut -> first write" if kill == "network" else "kill -9 -> first write"
        kill = KILL_LABELS.get(kill, kill)
        for key, what in (("median_s", first),
                          ("other_standby_streams_s_median", "... other standby streams")):
            v = {t: by.get(t, {}).get(key) for t in VARIANTS}
            cells = [fmt(v[t]) if v[t] is not None or "error" not in by.get(t, {})
                     else "failed (raw lines below)" for t in VARIANTS]
            out.append((f"{name}: {what}", kill, *cells,
                         fmt(div(v["ours"], v["patroni"]), ""),
                         fmt(div(v["ours arbiter=etcd"], v["patroni"]), ""),
                         fmt(div(v["ours arbiter=etcd"], v["ours"]), ""), by["run"]))
        if any("two_writable_primaries" in by.get(t, {}) for t in VARIANTS):
            out.append((f"{name}: ... old primary still writable then (runs)", kill,
                        *(two_writable(by.get(t, {})) for t in VARIANTS), "", "", "", by["run"]))
    return out


def two_writable(line):
    """The network cut's "two writable primaries": in how many runs the cut-off
    primary still committed a write once the new one had, and when (median,
    seconds after the cut) it first refused one."""
    seen = line.get("two_writable_primaries")
    if not seen:
        return "-"
    yes_runs = sum(1 for x in seen if x)
    refused = line.get("old_primary_refuses_s_median")
    if refused is None:
        per_run = line.get("old_primary_refuses_s") or []
        refused = "never" if all(x is None for x in per_run) else "; ".join(
            "never" if x is None else f"{x} s" for x in per_run)
    else:
        refused = f"{refused} s"
    return f"{'**yes**' if yes_runs else 'no'} ({yes_runs} of {len(seen)}), refuses: {refused}"


def patroni_target_rows(s):
    """Issue 18's target for arbiter=etcd with default settings, against
    Patroni's default: once with each tool's own kill -9 scenario, once with
    the same (whole node) kill for both: (what, ours etcd, Patroni, ratio,
    target, met, runs)."""
    patroni = s.get("failover_node_default", {}).get("patroni", {}).get("median_s")
    out = []
    for name, what in (("failover_default", "kill -9 of the postmaster (repmgrd reports the "
                        "crash) vs Patroni's kill -9 of Patroni + postmaster"),
                       ("failover_node_default", "both: kill -9 of the daemon + postmaster")):
        if name not in s or patroni is None:
            continue
        ours = s[name].get("ours arbiter=etcd", {}).get("median_s")
        r = div(ours, patroni)
        limit, share = PATRONI_TARGET
        ok = ours is not None and ours < limit and r is not None and r <= share
        runs = sorted({s[name]["run"], s["failover_node_default"]["run"]})
        out.append((f"ours arbiter=etcd, defaults, {what}", fmt(ours), fmt(patroni), fmt(r, ""),
                    f"< {limit} s and <= 1/3 of Patroni", yes(ok), ", ".join(map(str, runs))))
    return out


def net_target_rows(s):
    """DESIGN.md 5's target for the primary's host cut off, defaults: first
    write under 10 s and below repmgr 5.3 and Patroni in the same run:
    (what, ours, ours etcd, repmgr 5, Patroni, target, met, run)."""
    by = s.get("failover_net_default")
    if not by:
        return []
    v = {t: by.get(t, {}).get("median_s") for t in VARIANTS}
    peers = [v["repmgr5"], v["patroni"]]

    def met(x):
        return yes(x is not None and x < 10 and all(p is None or x < p for p in peers))
    return [("failover_net_default: cut -> first write", fmt(v["ours"]),
             fmt(v["ours arbiter=etcd"]), fmt(v["repmgr5"]), fmt(v["patroni"]),
             "< 10 s, below repmgr 5.3 and Patroni",
             f"ours: {met(v['ours'])}, etcd: {met(v['ours arbiter=etcd'])}", by["run"])]


def render():
    paths = sorted(glob.glob(os.path.join(RESULTS, "*.jsonl")))
    runs = [load(p) for p in paths]
    out = ["# Benchmark results", "",
           "Written by `bench/results.py` from the raw results in `bench/results/` and the notes "
           "in `bench/notes.md` (do not edit by hand: `bench/run` adds a results file and "
           "rewrites this page; `ctest -R suite_rules` checks that it matches them).", "",
           "## Summary", "",
           "Each scenario from the newest run that has it (the run column numbers the runs "
           "listed below).", "",
           "| scenario | ours | repmgr 5.3 | ratio | target | met? | run |",
           "|---|---|---|---|---|---|---|"]
    summary = latest(runs)
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows(summary)]
    out += [""]
    four = failover_rows(summary)
    if four:
        out += ["## Failover: ours (witness), ours (arbiter=etcd), repmgr 5.3, Patroni 3.0.2", "",
                "Each variant on its own cluster in the same run, alternating. Kill "
                "\"postmaster\": kill -9 of the primary's postmaster, its daemon keeps running "
                "(Patroni would restart it in place: no failover, not measured). Kill \"daemon + "
                "postmaster\": kill -9 of the primary's repmgrd or Patroni, then of its "
                "postmaster and every child (a host crash). Kill \"network cut\": every node in "
                "its own network namespace, every packet from and to the primary's dropped while "
                "its server and daemon keep running (bench/hostdeath.py). Settings: see the "
                "notes below.", "",
                "| scenario | kill | ours | ours arbiter=etcd | repmgr 5.3 | Patroni 3.0.2 "
                "| ours / Patroni | ours etcd / Patroni | ours etcd / ours | run |",
                "|---|---|---|---|---|---|---|---|---|---|"]
        out += ["| " + " | ".join(str(c) for c in row) + " |" for row in four]
        out += [""]
    net = net_target_rows(summary)
    if net:
        out += ["Target (DESIGN.md 5): the primary's host cut off, default settings.", "",
                "| what | ours | ours arbiter=etcd | repmgr 5.3 | Patroni 3.0.2 | target | met? "
                "| run |", "|---|---|---|---|---|---|---|---|"]
        out += ["| " + " | ".join(str(c) for c in row) + " |" for row in net]
        out += [""]
    target = patroni_target_rows(summary)
    if target:
        out += ["Target (issue 18): kill -9 failover with arbiter=etcd and default settings "
                "under 5 s and at most a third of Patroni's default figure.", "",
                "| what | ours arbiter=etcd | Patroni 3.0.2 | ratio | target | met? | runs |",
                "|---|---|---|---|---|---|---|"]
        out += ["| " + " | ".join(str(c) for c in row) + " |" for row in target]
        out += [""]
    with open(os.path.join(HERE, "notes.md")) as f:
        out += [f.read().rstrip(), ""]
    for i, ((header, _, raw), path) in enumerate(zip(runs, paths)):
        minutes = f", {header['minutes']} min" if header.get("minutes") else ""
        out += [f"## Run {i + 1}: `{header.get('command', '?')}`, {header.get('started', '?')}"
                f"{minutes}, build {header.get('build', '?')}", "",
                f"Raw results: `bench/results/{os.path.basename(path)}`.", ""]
        if header.get("note"):
            out += [header["note"], ""]
        if header.get("load_average"):
            out += [f"Load average (1, 5, 15 min): {header['load_average']}.", ""]
        out += ["```"] + raw + ["```", ""]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--check", action="store_true",
                    help="exit 1 when --out differs from what the results give")
    args = ap.parse_args()
    text = render()
    if args.check:
        with open(args.out) as f:
            same = f.read() == text
        print(f"{args.out} {'matches' if same else 'DIFFERS from'} what results.py writes "
              f"from {RESULTS}")
        return 0 if same else 1
    with open(args.out, "w") as f:
        f.write(text)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
