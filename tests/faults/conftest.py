"""Fault suite fixtures: a namespaced cluster shared by the runs of a session
(rebuilt when a run leaves it beyond repair), and the results file each run
appends to (tests/faults/report.py turns it into REPORT.md). The fixtures
shared with the cluster suite (prefix, template_cache) are in
tests/conftest.py."""

import json
import os
import random
import shutil
import time

import pytest

from pylib.harness import Harness

from faultlib.nemeses import NEMESES
from faultlib.netlab import NetLab
from faultlib.nscluster import FaultCluster


def _shard():
    return tuple(int(x) for x in os.environ.get("FAULT_SHARD", "0/1").split("/"))


def selected(name):
    """Whether this session runs nemesis `name`: in the set (FAULT_SET=ci, the
    default, or full), in FAULT_ONLY when given (comma-separated names, for a
    rerun), and in this process's shard (FAULT_SHARD=i/n)."""
    full = os.environ.get("FAULT_SET", "ci") == "full"
    only = [n for n in os.environ.get("FAULT_ONLY", "").split(",") if n]
    in_set = [n for n in NEMESES if (full or NEMESES[n][1]) and (not only or n in only)]
    # Dealt out in turn among the nemeses this run has, not all of them: a
    # rerun of a few still keeps every shard busy.
    shard, shards = _shard()
    return name in in_set and in_set.index(name) % shards == shard


def pytest_collection_modifyitems(config, items):
    """Deselects the nemeses this session does not run, rather than skipping
    them: under REPMGR_TEST_REQUIRE_ALL a skip is a failure (tests/conftest.py)."""
    unknown = [n for n in os.environ.get("FAULT_ONLY", "").split(",") if n and n not in NEMESES]
    if unknown:
        raise pytest.UsageError(f"FAULT_ONLY names unknown nemeses {unknown}")
    keep, drop = [], []
    for item in items:
        spec = getattr(item, "callspec", None)
        name = spec.params.get("name") if spec else None
        (drop if name and not selected(name) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def fault_settings():
    seed = int(os.environ.get("FAULT_SEED", str(int(time.time()))))
    runs = int(os.environ.get("FAULT_RUNS", "1"))
    full = os.environ.get("FAULT_SET", "ci") == "full"
    results = os.environ.get("FAULT_RESULTS", "")
    shard, shards = _shard()
    print(f"\nfault suite: seed {seed}, {runs} run(s) per nemesis, "
          f"{'full' if full else 'reduced CI'} set")
    return {"seed": seed, "runs": runs, "full": full, "results": results,
            "shard": (shard, shards), "rng": random.Random(seed * 100 + shard)}


class ClusterHolder:
    """Builds the namespaced cluster on first use, again after a run that
    left it beyond repair, and when a nemesis needs the other arbiter
    (witness or etcd: nemeses of one arbiter run together)."""

    def __init__(self, prefix, template_cache):
        self.prefix = prefix
        self.template_cache = template_cache
        self.cluster = None
        self.builds = 0

    def get(self, arbiter="witness"):
        if self.cluster is not None and self.cluster.arbiter != arbiter:
            self.discard()
        if self.cluster is None:
            harness = Harness(self.prefix, self.template_cache)
            lab = NetLab().create()
            self.cluster = FaultCluster(harness, lab, arbiter=arbiter)
            self.builds += 1
            try:
                self.cluster.build()
            except BaseException:
                self.discard()
                raise
        return self.cluster

    def discard(self):
        if self.cluster is None:
            return
        c, self.cluster = self.cluster, None
        try:
            c.harness.teardown()
        finally:
            c.teardown()
            c.lab.destroy()
            shutil.rmtree(c.harness.base, ignore_errors=True)  # the tmpfs mount points


@pytest.fixture(scope="session")
def fault_cluster(prefix, template_cache):
    if os.geteuid() != 0:
        pytest.skip("the fault suite needs root for network namespaces")
    holder = ClusterHolder(prefix, template_cache)
    yield holder
    holder.discard()


@pytest.fixture(scope="session")
def record_result(fault_settings):
    path = fault_settings["results"]

    def record(result):
        if path:
            with open(path, "a") as f:
                f.write(json.dumps(result) + "\n")
    return record
