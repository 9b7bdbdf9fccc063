#!/usr/bin/env python3
"""Writes tests/faults/REPORT.md from the results of a fault-suite run (JSON
lines, one per run, from FAULT_RESULTS) plus the hand-kept list of the bugs
the suite found and their fixes (tests/faults/bugs.md).

usage: report.py RESULTS.jsonl [MORE.jsonl ...] --seed S --out REPORT.md
       [--after RERUN.jsonl ... --after-note TEXT]   a second table: nemeses run
       again after the fixes for what the first run found"""

import argparse
import collections
import datetime
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def load(paths):
    runs = []
    for path in paths:
        with open(path) as f:
            runs += [json.loads(line) for line in f if line.strip()]
    return runs


def table(runs):
    by_nemesis = collections.OrderedDict()
    for r in runs:
        by_nemesis.setdefault(r["nemesis"], []).append(r)
    out = ["| nemesis | runs | failed | failovers | lost acked commits (async runs) "
           "| converged in (median / max s) |",
           "|---|---:|---:|---:|---:|---:|"]
    for name, rs in by_nemesis.items():
        failed = sum(1 for r in rs if r["problems"])
        failovers = sum(1 for r in rs if r.get("failover"))
        lost = sum(r.get("lost", 0) for r in rs if not r.get("synchronous"))
        conv = sorted(r["converge_s"] for r in rs if "converge_s" in r)
        conv_s = f"{conv[len(conv) // 2]} / {conv[-1]}" if conv else "-"
        out.append(f"| {name} | {len(rs)} | {failed} | {failovers} | {lost} | {conv_s} |")
    failed = sum(1 for r in runs if r["problems"])
    return out + ["", f"{len(runs)} runs, {failed} failed.", ""]


def failed_runs(runs):
    out = []
    for r in runs:
        if r["problems"]:
            mode = "sync" if r.get("synchronous") else "async"
            out.append(f"- {r['nemesis']} run {r['run']} ({mode}): "
                       + "; ".join(r["problems"]) + " — " + "; ".join(r.get("notes", [])))
    return (["Failed runs:", ""] + out + [""]) if out else []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results", nargs="+")
    ap.add_argument("--seed", default="?")
    ap.add_argument("--minutes", default="?")
    ap.add_argument("--out", default=os.path.join(HERE, "REPORT.md"))
    ap.add_argument("--after", nargs="*", default=[])
    ap.add_argument("--after-note", default="")
    args = ap.parse_args()

    runs = load(args.results)

    out = ["# Fault suite report", "",
           f"Written by `tests/faults/run-full` (the last step of `scripts/test --faults`) on "
           f"{datetime.date.today()} "
           f"(seed {args.seed}, {args.minutes} min). Each run: a 3-node cluster + witness in "
           "network namespaces, repmgrd everywhere, a client writing numbered rows; the "
           "nemesis with random timing; then the checkers (at most one writable primary at "
           "every 100 ms sample, acknowledged commits kept (synchronous runs) or lost only "
           "within the replication lag at the fault (asynchronous runs), convergence within "
           "60 s of the heal). Runs alternate synchronous and asynchronous replication.", "",
           ""]
    out += table(runs) + failed_runs(runs)
    total_failed = sum(1 for r in runs if r["problems"])
    if args.after:
        after = load(args.after)
        out += ["## After the fixes", "", args.after_note, ""] + table(after) + failed_runs(after)
        total_failed = sum(1 for r in after if r["problems"])
    bugs = os.path.join(HERE, "bugs.md")
    if os.path.exists(bugs):
        with open(bugs) as f:
            out += [f.read().rstrip(), ""]
    with open(args.out, "w") as f:
        f.write("\n".join(out))
    print(f"wrote {args.out}: {total_failed} failed run(s) in the last table")
    return 1 if total_failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
