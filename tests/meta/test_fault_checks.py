"""The fault suite's liveness and non-vacuity checks on made-up histories
(tests/faults/faultlib/liveness.py): a repmgrd that never fails over, or a
writer that never wrote, fails the run."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "faults"))

from faultlib.liveness import (MIN_ACKED, Fault, failover_bound_s, first_takeover,  # noqa: E402
                               liveness_problems, stall_detection_s, stall_must_fail_over_s,
                               vacuity_problems)
from pylib.conf import FAST_FAILOVER  # noqa: E402

SETTINGS = dict(FAST_FAILOVER, standby_reconnect_timeout="10")  # as nscluster.FaultCluster


class Sampler:
    def __init__(self, samples):
        self.samples = samples


def test_bounds_follow_the_settings():
    assert stall_detection_s(SETTINGS) == 10
    assert stall_must_fail_over_s(SETTINGS) == 17
    # detection 10 + claim 7 + rerun 2 + primary_follow_timeout 20, doubled
    assert failover_bound_s(SETTINGS) == 78
    slower = dict(SETTINGS, reconnect_attempts="6", reconnect_interval="10")
    assert stall_detection_s(slower) == 62
    assert failover_bound_s(slower) > failover_bound_s(SETTINGS)


def test_no_failover_fails_a_run_that_requires_one():
    fault = Fault(100.0, [], True, "node1 was killed")
    sampler = Sampler({"node1": [(99.0, 99.1, True), (101.0, 101.1, False)],
                       "node2": [(99.0, 99.1, False), (150.0, 150.1, False)]})
    takeover = first_takeover(sampler, "node1", fault.start)
    assert takeover is None
    assert liveness_problems(fault, SETTINGS, takeover) == [
        "no failover: node1 was killed, but no other node became a writable primary"]


def test_a_late_failover_fails_and_a_timely_one_passes():
    fault = Fault(100.0, [], True, "node1 was killed")
    late = first_takeover(Sampler({"node2": [(100.0 + 79, 180.0, True)]}), "node1", 100.0)
    assert liveness_problems(fault, SETTINGS, late)[0].startswith("failover too late")
    timely = first_takeover(Sampler({"node2": [(99.0, 99.1, True), (103.0, 103.1, True)]}),
                            "node1", 100.0)
    assert timely == 103.0  # samples before the fault do not count
    assert liveness_problems(fault, SETTINGS, timely) == []


def test_a_fault_that_requires_nothing_passes_either_way():
    assert liveness_problems(Fault(100.0, []), SETTINGS, None) == []


def test_a_writer_that_never_connected_fails():
    problems = vacuity_problems([], 0, "connection refused")
    assert any("never connected" in p and "connection refused" in p for p in problems)
    assert any(f"only 0 commits acknowledged (at least {MIN_ACKED}" in p for p in problems)


def test_too_few_commits_fail_and_enough_pass():
    few = [(i, "ok", 1.0) for i in range(MIN_ACKED - 1)] + [(99, "err", 1.0)]
    assert vacuity_problems(few, 0, "") == [
        f"only {MIN_ACKED - 1} commits acknowledged (at least {MIN_ACKED} required)"]
    enough = [(i, "ok", 1.0) for i in range(MIN_ACKED)]
    assert vacuity_problems(enough, 0, "") == []


def test_a_writer_that_died_fails():
    enough = [(i, "ok", 1.0) for i in range(MIN_ACKED)]
    assert vacuity_problems(enough, 1, "Traceback") == ["the writer exited with code 1: Traceback"]
