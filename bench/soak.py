#!/usr/bin/python3
"""Soak: repmgrd beside a primary and a standby under a steady pgbench load
for --minutes, with monitoring history every second; samples repmgrd's RSS
and CPU each minute and checks at the end that it still runs, recorded the
history, and shows in `daemon status`. Prints one JSON line per sample and a
summary line. Usage (as root, after bench/run or scripts/test built ours):
    /usr/bin/python3 bench/soak.py --prefix PREFIX [--minutes 60]"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))  # the test library, tests/pylib

from pylib.harness import PG_BIN, Harness, make_template, run_as_user  # noqa: E402


def proc_sample(pid):
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu_s = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return rss, cpu_s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--minutes", type=float, default=60)
    args = ap.parse_args()

    base = tempfile.mkdtemp(prefix="repmgr-soak-")
    os.chmod(base, 0o755)
    shutil.chown(base, "postgres", "postgres")
    cache = {}
    h = Harness(args.prefix, lambda: cache.setdefault("t", make_template(base)))
    load = None
    try:
        p = h.primary("node1")
        p.write_repmgr_conf(1)
        h.repmgr("primary", "register", conf=p.conf, check=True)
        s = h.standby_of(p, "node2")
        s.write_repmgr_conf(2, extra={"monitor_interval_secs": "1", "monitoring_history": "true"})
        h.repmgr("standby", "register", conf=s.conf, check=True)
        run_as_user([f"{PG_BIN}/pgbench", "-i", "-q", "-s", "5", "-h", "127.0.0.1", "-p",
                     str(p.port), "-U", "repmgr", "repmgr"])
        load = subprocess.Popen(
            ["runuser", "-u", "postgres", "--", f"{PG_BIN}/pgbench", "-n", "-c", "2", "-R", "50",
             "-T", str(int(args.minutes * 60) + 60), "-h", "127.0.0.1", "-p", str(p.port),
             "-U", "repmgr", "repmgr"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        d = h.start_repmgrd(s)
        start = time.monotonic()
        samples = []
        while time.monotonic() - start < args.minutes * 60:
            time.sleep(min(60, args.minutes * 60))
            if not d.alive():
                break
            rss, cpu = proc_sample(d.pid)
            samples.append((rss, cpu))
            print(json.dumps({"soak_minute": round((time.monotonic() - start) / 60, 1),
                              "repmgrd_rss_kb": rss, "repmgrd_cpu_s": round(cpu, 2)}),
                  flush=True)
        alive = d.alive()
        rows = p.sql_one("SELECT count(*) FROM repmgr_test.repl_monitor", dbname="repmgr")
        lag = p.sql("SELECT replication_lag, apply_lag_seconds FROM repmgr_test.repl_status",
                    dbname="repmgr")
        status = h.repmgr("daemon", "status", conf=p.conf)
        print(json.dumps({
            "soak_minutes": args.minutes, "repmgrd_alive": alive,
            "repl_monitor_rows": rows, "repl_status": [list(map(str, r)) for r in lag],
            "rss_first_kb": samples[0][0] if samples else None,
            "rss_last_kb": samples[-1][0] if samples else None,
            "cpu_total_s": round(samples[-1][1], 2) if samples else None,
            "daemon_status_shows_running": "running" in status.stdout,
            "repmgrd_errors": d.log().count("[ERROR]")}), flush=True)
        return 0 if alive else 1
    finally:
        if load:
            load.terminate()
        h.teardown()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
