"""The fault suite: every nemesis, run FAULT_RUNS times with random timing
against a namespaced cluster (3 PostgreSQL nodes + witness, repmgrd on each,
a client writing numbered rows), and after each run the checkers:

- never two writable primaries at once (sampled every 100 ms);
- with synchronous replication, every acknowledged commit on the final
  primary; with asynchronous replication, lost commits only within the
  replication lag at the time of the fault (and reported);
- the cluster converges (one primary, all others streaming from it, metadata
  matching) within CONVERGE_S of the fault being healed;
- liveness: a fault that requires a failover (faultlib/liveness.py) saw a new
  writable primary within a bound derived from the cluster's settings;
- non-vacuity: the writer ran, at least MIN_ACKED commits were acknowledged,
  one before the fault and one after the cluster converged.

Runs alternate synchronous and asynchronous replication. The reduced set (CI)
runs the nemeses marked for it FAULT_RUNS times (2 in CI: one synchronous, one
asynchronous run each); FAULT_SET=full runs all of them. conftest.py deselects
the nemeses a set or shard does not run (a skip would hide a suite that could
not run)."""

import os
import time

import pytest

from faultlib.history import Writer, WritableSampler, check_commits, replication_lag_s
from faultlib.liveness import (WRITE_WAIT_S, first_takeover, liveness_problems,
                               vacuity_problems)
from faultlib.nemeses import NEMESES

CONVERGE_S = 60
_run_counter = [0]


def one_run(cluster, name, nemesis, rng, synchronous):
    _run_counter[0] += 1
    run_id = _run_counter[0]
    result = {"nemesis": name, "run": run_id, "synchronous": synchronous, "problems": [],
              "notes": []}
    problems = cluster.wait_converged(30)
    if problems:
        result["notes"].append(f"cluster not converged before the run: {problems}; repaired")
        problems = cluster.repair()
        if problems:
            raise RuntimeError(f"cluster beyond repair before the run: {problems}")
    # A zero-loss nemesis runs with repmgrd managing synchronous replication
    # (repmgr.conf synchronous=on|strict); the others alternate a fixed
    # synchronous_standby_names with none, repmgrd leaving it alone.
    cluster.set_repmgr_overrides(getattr(nemesis, "repmgr_settings", {}))
    mode = getattr(nemesis, "repmgr_synchronous", "off")
    cluster.set_repmgr_synchronous(mode)
    if mode != "off":
        synchronous = result["synchronous"] = mode
    else:
        cluster.set_synchronous(synchronous)
    before = cluster.primary()
    sampler = WritableSampler(cluster.data)
    writer = Writer(cluster, run_id).start()
    try:
        # The fault must hit a writer that writes: wait for its first commit.
        if not writer.acked_after(0, WRITE_WAIT_S):
            result["problems"].append(f"no commit acknowledged before the fault (the writer "
                                      f"had none within {WRITE_WAIT_S} s)")
        time.sleep(rng.uniform(1.0, 2.5))
        # A nemesis that builds up lag itself says how much loss its rules
        # allow (the lag-bound nemesis: failover_max_lag_secs plus its error).
        lag = max(replication_lag_s(before), getattr(nemesis, "loss_allowed_s", 0.0))
        fault = nemesis(cluster, rng)
        fault_time = fault.start
        result["notes"] += fault.notes
        result["must_fail_over"] = fault.must_fail_over
        result["problems"] += fault.problems
        healed = time.time()
        problems = cluster.wait_converged(CONVERGE_S)
        converged = time.time()
        result["converge_s"] = round(converged - healed, 1)
        if problems:
            result["problems"].append(f"not converged {CONVERGE_S} s after the fault healed: "
                                      f"{problems}")
        else:
            # Non-vacuity after the fault: the converged cluster takes writes.
            if not writer.acked_after(converged, WRITE_WAIT_S):
                result["problems"].append(f"no commit acknowledged within "
                                          f"{WRITE_WAIT_S} s of convergence")
        time.sleep(1.0)
    finally:
        writer.stop()
        sampler.stop()
    for a, b, at in sampler.overlaps()[:3]:
        result["problems"].append(f"two writable primaries: {a} and {b} at "
                                  f"+{at - fault_time:.2f} s")
    takeover = first_takeover(sampler, before.name if before else None, fault_time)
    if takeover is not None:
        result["failover_s"] = round(takeover - fault_time, 1)
    result["problems"] += liveness_problems(fault, cluster.settings, takeover)
    after = cluster.primary()
    result["failover"] = bool(after and before and after.name != before.name)
    if after is None:
        result["problems"].append("no single primary at the end: commits not checked")
    else:
        present = {r[0] for r in after.sql("SELECT id FROM fault_rows WHERE run = %s", (run_id,),
                                           dbname="repmgr")}
        commit_problems, info = check_commits(writer.attempts(), present, synchronous,
                                              fault_time, lag)
        result["problems"] += commit_problems
        result.update(info, lag_s=round(lag, 3))
    result["problems"] += vacuity_problems(writer.attempts(), writer.returncode(),
                                           writer.errors())
    if result["problems"] or os.environ.get("FAULT_LOGS"):
        result["logs"] = cluster.logs(tail=25)
        keep = os.environ.get("FAULT_LOG_DIR")
        if keep:
            cluster.save_logs(os.path.join(keep, f"run{run_id}-{name}"))
    return result


def nemesis_params():
    return [pytest.param(name, marks=pytest.mark.faults) for name in NEMESES]


@pytest.mark.parametrize("name", nemesis_params())
def test_nemesis(name, fault_cluster, fault_settings, record_result):
    nemesis, _ = NEMESES[name]
    rng = fault_settings["rng"]
    failures = []
    # FAULT_UNTIL (epoch seconds): no run starts after it, so that a long
    # run can be fitted into the time left; the report counts what ran.
    until = float(os.environ.get("FAULT_UNTIL", "0"))
    for i in range(fault_settings["runs"]):
        if until and time.time() >= until:
            print(f"{name}: FAULT_UNTIL reached after {i} run(s)")
            break
        cluster = fault_cluster.get(getattr(nemesis, "arbiter", "witness"))
        try:
            result = one_run(cluster, name, nemesis, rng, synchronous=(i % 2 == 0))
        except RuntimeError as e:
            result = {"nemesis": name, "run": _run_counter[0], "problems": [str(e)],
                      "notes": [], "logs": cluster.logs(tail=25)}
            fault_cluster.discard()
        record_result(result)
        status = "FAIL" if result["problems"] else "ok"
        print(f"{name} run {i + 1}: {status} {result.get('notes')} {result['problems']}")
        if result["problems"]:
            failures.append(result)
            if fault_cluster.cluster is not None and fault_cluster.cluster.repair():
                fault_cluster.discard()
    assert not failures, "\n\n".join(
        f"run {f['run']} ({'sync' if f.get('synchronous') else 'async'}): {f['problems']}\n"
        f"notes: {f['notes']}\n{f.get('logs', '')}" for f in failures)
