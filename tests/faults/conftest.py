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

from faultlib.netlab import NetLab
from faultlib.nscluster import FaultCluster


@pytest.fixture(scope="session")
def fault_settings():
    seed = int(os.environ.get("FAULT_SEED", str(int(time.time()))))
    runs = int(os.environ.get("FAULT_RUNS", "1"))
    full = os.environ.get("FAULT_SET", "ci") == "full"
    results = os.environ.get("FAULT_RESULTS", "")
    shard, shards = (int(x) for x in os.environ.get("FAULT_SHARD", "0/1").split("/"))
    print(f"\nfault suite: seed {seed}, {runs} run(s) per nemesis, "
          f"{'full' if full else 'reduced CI'} set")
    return {"seed": seed, "runs": runs, "full": full, "results": results,
            "shard": (shard, shards), "rng": random.Random(seed * 100 + shard)}


class ClusterHolder:
    """Builds the namespaced cluster on first use and again after a run that
    left it beyond repair."""

    def __init__(self, prefix, template_cache):
        self.prefix = prefix
        self.template_cache = template_cache
        self.cluster = None
        self.builds = 0

    def get(self):
        if self.cluster is None:
            harness = Harness(self.prefix, self.template_cache)
            lab = NetLab().create()
            self.cluster = FaultCluster(harness, lab)
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
