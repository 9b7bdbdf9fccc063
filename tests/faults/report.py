#!/usr/bin/env python3
"""Writes tests/faults/REPORT.md, and only from committed files: the raw
results of the fault-suite runs in tests/faults/results/*.jsonl (one section
each, oldest first) and the hand-kept list of the bugs the suite found
(tests/faults/bugs.md). Running it again on the same files gives the same
bytes (tests/meta checks the committed REPORT.md).

A results file is a header line {"header": {...}} (the set, runs per
nemesis, seed, start, minutes, build, the nemeses a rerun was limited to, a
note) and one line per run, as test_faults.py records them.

usage: report.py [--check] [--out REPORT.md]
           regenerate (or compare with) REPORT.md from tests/faults/results
       report.py --add SHARD.jsonl [...] --set full|ci --runs N --seed S
           --minutes M --build REV [--load "A, B"] [--only A,B] [--note TEXT]
           store a run's shard results as one new results file, then regenerate"""

import argparse
import collections
import datetime
import glob
import json
import os
import re
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")
REPORT = os.path.join(HERE, "REPORT.md")

INTRO = (
    "Written by `tests/faults/report.py` from the raw results in `tests/faults/results/` "
    "(do not edit by hand: `tests/faults/run-full`, the last step of `scripts/test --faults`, "
    "adds a results file and rewrites this report; `ctest -R suite_rules` checks that it "
    "matches them). Each run: a 3-node cluster + witness in network namespaces, repmgrd "
    "everywhere, a client writing numbered rows; the nemesis with random timing; then the "
    "checkers: at most one writable primary at every 100 ms sample; acknowledged commits kept "
    "(synchronous runs) or lost only within the replication lag at the fault (asynchronous "
    "runs); convergence within 60 s of the heal; liveness (a fault that requires a failover: "
    "a primary killed, or frozen or isolated for 17 s or more, sees a new writable primary "
    "within a bound derived from the settings, 78 s); non-vacuity (the "
    "writer connected, at least 10 commits acknowledged, one before the fault and one after convergence). Runs "
    "alternate synchronous and asynchronous replication.")


def load(path):
    header, runs = {}, []
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            obj = json.loads(line)
            if "header" in obj:
                header = obj["header"]
            else:
                runs.append(obj)
    return header, runs


def median_max(values):
    return f"{round(statistics.median(values), 1)} / {max(values)}" if values else "-"


def table(runs):
    by_nemesis = collections.OrderedDict()
    for r in runs:
        by_nemesis.setdefault(r["nemesis"], []).append(r)
    out = ["| nemesis | runs (sync / async) | failed | failover required / seen "
           "| new primary after (median / max s) | commits acked / found "
           "| lost acked (async) | converged in (median / max s) |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, rs in by_nemesis.items():
        sync = sum(1 for r in rs if r.get("synchronous"))
        failed = sum(1 for r in rs if r["problems"])
        required = sum(1 for r in rs if r.get("must_fail_over"))
        seen = sum(1 for r in rs if "failover_s" in r)
        acked = sum(r.get("acked", 0) for r in rs)
        found = sum(r.get("found", 0) for r in rs)
        lost = sum(r.get("lost", 0) for r in rs if not r.get("synchronous"))
        takeover = median_max([r["failover_s"] for r in rs if "failover_s" in r])
        converge = median_max([r["converge_s"] for r in rs if "converge_s" in r])
        out.append(f"| {name} | {len(rs)} ({sync} / {len(rs) - sync}) | {failed} "
                   f"| {required} / {seen} | {takeover} | {acked} / {found} | {lost} "
                   f"| {converge} |")
    failed = sum(1 for r in runs if r["problems"])
    return out + ["", f"{len(runs)} runs, {failed} failed.", ""]


def failed_runs(runs):
    out = []
    for r in runs:
        if r["problems"]:
            sync = r.get("synchronous")
            mode = (f"synchronous={sync}" if isinstance(sync, str)
                    else "sync" if sync else "async")
            out.append(f"- {r['nemesis']} run {r['run']} ({mode}): "
                       + "; ".join(r["problems"]) + " — " + "; ".join(r.get("notes", [])))
    return (["Failed runs:", ""] + out + [""]) if out else []


def section(header, runs):
    only = header.get("only") or []
    what = (f"rerun of {', '.join(only)}" if only else
            "full set" if header.get("set") == "full" else "reduced (CI) set")
    nemeses = len({r["nemesis"] for r in runs})
    out = [f"## {header.get('started', '?')}: {what}", "",
           f"{nemeses} nemeses, {header.get('runs', '?')} run(s) each requested, "
           f"{len(runs)} recorded; seed {header.get('seed', '?')}, "
           f"{header.get('minutes', '?')} min, build {header.get('build', '?')}"
           + (f", load average {header['load']} (start, end)" if header.get("load") else "")
           + ".", ""]
    if header.get("note"):
        out += [header["note"], ""]
    return out + table(runs) + failed_runs(runs)


def all_nemeses():
    """The suite's nemeses in its order, read from the NEMESES table's text
    (an import would need the test dependencies, and the report must not
    depend on which interpreter writes it)."""
    with open(os.path.join(HERE, "faultlib", "nemeses.py")) as f:
        text = f.read()
    table_text = text[text.index("NEMESES = {"):]
    names = re.findall(r'^    "(\w+)": ', table_text, re.M)
    if not names:  # a changed layout must not silently drop the count
        raise ValueError("no nemesis found in the NEMESES table of faultlib/nemeses.py")
    return names


def newest_build_section(files):
    """Every run recorded on the build of the newest results file, whatever
    file holds it: the per-nemesis totals the issues' "20 runs of every
    nemesis" is judged by (runs are independent, so a build's runs add up)."""
    if not files:
        return []
    build = files[-1][0].get("build", "?")
    if build in ("?", "unknown") or build.endswith("+changes"):
        return []
    runs, names = [], []
    for header, rs in files:
        if header.get("build") == build:
            runs += rs
            names.append(header.get("started", "?"))
    out = [f"## Every run on build {build}", "",
           f"From {len(names)} results file(s) ({', '.join(names)}); since 2026-12-01 20:00 UTC "
           f"a build is named by the last commit that changed src/, sql/ or the CMake files, "
           f"so commits of tests or docs alone keep it."]
    known = all_nemeses()
    counts = collections.Counter(r["nemesis"] for r in runs)
    short = [f"{n} ({counts.get(n, 0)})" for n in known if counts.get(n, 0) < 20]
    out[-1] += (f" Nemeses with fewer than 20 runs on this build: {', '.join(short)}."
                if short else f" Every one of the {len(known)} nemeses has 20 runs or more.")
    return out + [""] + table(runs) + failed_runs(runs)


def render():
    out = ["# Fault suite report", "", INTRO, ""]
    last_failed = 0
    files = []
    for path in sorted(glob.glob(os.path.join(RESULTS, "*.jsonl"))):
        header, runs = load(path)
        files.append((header, runs))
        last_failed = sum(1 for r in runs if r["problems"])
    out += newest_build_section(files)
    for header, runs in files:
        out += section(header, runs)
    bugs = os.path.join(HERE, "bugs.md")
    if os.path.exists(bugs):
        with open(bugs) as f:
            out += [f.read().rstrip(), ""]
    return "\n".join(out), last_failed


def add(args):
    """Stores the shards' runs (without their log tails) as one results file."""
    runs = []
    for path in args.add:
        _, rs = load(path)
        runs += [{k: v for k, v in r.items() if k != "logs"} for r in rs]
    started = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(
        minutes=int(args.minutes))
    header = {"set": args.set, "runs": int(args.runs), "seed": args.seed,
              "started": started.strftime("%Y-%m-%d %H:%M UTC"), "minutes": int(args.minutes),
              "build": args.build, "load": args.load,
              "only": [n for n in args.only.split(",") if n],
              "note": args.note}
    os.makedirs(RESULTS, exist_ok=True)
    name = f"{started:%Y%m%dT%H%M}-{args.set}{'-rerun' if header['only'] else ''}.jsonl"
    path = os.path.join(RESULTS, name)
    with open(path, "w") as f:
        f.write(json.dumps({"header": header}) + "\n")
        for r in runs:
            f.write(json.dumps(r) + "\n")
    print(f"wrote {path}: {len(runs)} runs")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=REPORT)
    ap.add_argument("--check", action="store_true",
                    help="exit 1 when --out differs from what the results give")
    ap.add_argument("--add", nargs="*", default=[])
    ap.add_argument("--set", default="full")
    ap.add_argument("--runs", default="0")
    ap.add_argument("--seed", default="?")
    ap.add_argument("--minutes", default="0")
    ap.add_argument("--build", default="?")
    ap.add_argument("--only", default="")
    ap.add_argument("--note", default="")
    ap.add_argument("--load", default="", help="the 1-minute load average at the start and the end")
    args = ap.parse_args()

    if args.add:
        add(args)
    text, last_failed = render()
    if args.check:
        with open(args.out) as f:
            same = f.read() == text
        print(f"{args.out} {'matches' if same else 'DIFFERS from'} what report.py writes "
              f"from {RESULTS}")
        return 0 if same else 1
    with open(args.out, "w") as f:
        f.write(text)
    print(f"wrote {args.out}: {last_failed} failed run(s) in the last results file")
    return 1 if args.add and last_failed else 0


if __name__ == "__main__":
    sys.exit(main())
