"""Clusters the repmgrd tests build, and the check that runs beside them."""

import threading

from pylib.conf import configure
from pylib.queries import writable
from pylib.wait import wait_until


def make_cluster(harness, priorities=(100, 100), witness=True, per_node=None,
                 write_conf=configure, **extra):
    """Primary node1, standbys node2 and node3, witness (id 4), repmgrd on each.
    `write_conf(node, node_id, **settings)` writes each repmgr.conf with
    `extra` plus `per_node[node_id]` (extra settings for one node); by default
    fast failover settings and an event log (pylib.conf.configure).
    Returns (primary, [node2, node3], witness or None, {name: repmgrd})."""
    per_node = per_node or {}

    def conf(node, node_id, **more):
        return write_conf(node, node_id, **{**extra, **more, **per_node.get(node_id, {})})

    primary = harness.primary("node1")
    conf(primary, 1)
    r = harness.repmgr("primary", "register", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    standbys = []
    for node_id, prio in zip((2, 3), priorities):
        s = harness.standby_of(primary, f"node{node_id}")
        conf(s, node_id, priority=prio)
        r = harness.repmgr("standby", "register", conf=s.conf)
        assert r.returncode == 0, r.stderr
        standbys.append(s)
    w = None
    if witness:
        # A fresh initdb: a witness must have its own system identifier.
        w = harness.node("witness").init_fresh().start()
        w.create_repmgr_user()
        conf(w, 4)
        r = harness.repmgr(*primary.conn_args(), "witness", "register", conf=w.conf)
        assert r.returncode == 0, r.stderr
    daemons = {n.name: harness.start_repmgrd(n) for n in [primary] + standbys + ([w] if w else [])}
    for s in standbys:
        wait_until(lambda s=s: "standby is running; upstream node 1 answers" in
                   daemons[s.name].log(), timeout=30, what=f"repmgrd on {s.name} monitoring")
    return primary, standbys, w, daemons


class WritableSampler:
    """Samples every data node in the background; `worst` is the largest number
    of simultaneously writable servers seen. (The fault suite has a finer one:
    tests/faults/faultlib/history.py compares the time spans of the answers.)"""

    def __init__(self, nodes):
        self.nodes = nodes
        self.worst = 0
        self.seen = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            now = [n.name for n in self.nodes if writable(n)]
            if len(now) > self.worst:
                self.worst = len(now)
                self.seen = now
            self._stop.wait(0.2)

    def stop(self):
        self._stop.set()
        self._thread.join(10)
        return self.worst
