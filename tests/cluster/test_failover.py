"""repmgrd automatic failover on real servers: a primary, two standbys and a
witness, repmgrd on every node. Throughout each test a sampler checks that at
most one server accepts writes at any moment."""

import os
import threading

import pytest

from pylib.harness import wait_until

FAST = {"monitor_interval_secs": "1", "reconnect_interval": "1", "reconnect_attempts": "2",
        "master_response_timeout": "2", "failover": "automatic", "primary_follow_timeout": "20",
        "election_rerun_interval": "2", "loglevel": "INFO"}


def configure(node, node_id, **extra):
    """repmgr.conf with fast failover settings and an event log file."""
    events = os.path.join(node.confdir, "events.txt")
    settings = dict(FAST)
    settings["event_notification_command"] = f"'echo %n %e %s >> {events}'"
    settings.update({k: str(v) for k, v in extra.items()})
    node.write_repmgr_conf(node_id, extra=settings)
    node.events_file = events
    return node.conf


def notified(node, event):
    try:
        with open(node.events_file) as f:
            return [line.split() for line in f if line.split()[1:2] == [event]]
    except OSError:
        return []


def writable(node):
    """True when the server is up, out of recovery and not fenced read-only."""
    try:
        return node.sql_one("SELECT NOT pg_is_in_recovery() AND "
                            "current_setting('default_transaction_read_only') = 'off'")
    except Exception:  # noqa: BLE001 - down or refusing: not writable
        return False


class WritableSampler:
    """Samples every data node in the background; `worst` is the largest number
    of simultaneously writable servers seen."""

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


def repl_events(node, event):
    return node.sql("SELECT node_id, successful, details FROM repmgr_test.repl_events "
                    "WHERE event = %s ORDER BY event_timestamp", (event,), dbname="repmgr")


def make_cluster(harness, priorities=(100, 100), witness=True, **extra):
    primary = harness.primary("node1")
    configure(primary, 1, **extra)
    r = harness.repmgr("primary", "register", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    standbys = []
    for node_id, prio in zip((2, 3), priorities):
        s = harness.standby_of(primary, f"node{node_id}")
        configure(s, node_id, priority=prio, **extra)
        r = harness.repmgr("standby", "register", conf=s.conf)
        assert r.returncode == 0, r.stderr
        standbys.append(s)
    w = None
    if witness:
        # A fresh initdb: a witness must have its own system identifier.
        w = harness.node("witness").init_fresh().start()
        w.create_repmgr_user()
        configure(w, 4, **extra)
        r = harness.repmgr("-h", "127.0.0.1", "-p", str(primary.port), "-U", "repmgr", "-d",
                           "repmgr", "witness", "register", conf=w.conf)
        assert r.returncode == 0, r.stderr
    daemons = {n.name: harness.start_repmgrd(n) for n in [primary] + standbys + ([w] if w else [])}
    for s in standbys:
        wait_until(lambda s=s: "standby is running; upstream node 1 answers" in
                   daemons[s.name].log(), timeout=30, what=f"repmgrd on {s.name} monitoring")
    return primary, standbys, w, daemons


def streams_from(upstream, standby):
    return upstream.sql_one("SELECT count(*) FROM pg_stat_replication WHERE application_name = %s "
                            "AND state = 'streaming'", (standby.name,)) == 1


@pytest.mark.slow
def test_kill9_primary_one_standby_promotes_the_other_follows(harness):
    primary, (s2, s3), witness, daemons = make_cluster(harness)
    sampler = WritableSampler([primary, s2, s3])
    try:
        primary.sql("CREATE TABLE t (i int)", dbname="repmgr")
        primary.sql("INSERT INTO t SELECT generate_series(1, 100)", dbname="repmgr")
        wait_until(lambda: s2.sql_one("SELECT count(*) FROM t", dbname="repmgr") == 100 and
                   s3.sql_one("SELECT count(*) FROM t", dbname="repmgr") == 100,
                   what="standbys to replay")
        primary.kill9()
        new = wait_until(lambda: [s for s in (s2, s3) if writable(s)], timeout=60,
                         what="a new primary")
        assert len(new) == 1
        winner = new[0]
        other = s3 if winner is s2 else s2
        # equal WAL positions and priorities: the lowest id wins
        assert winner is s2
        wait_until(lambda: streams_from(winner, other), timeout=60,
                   what=f"{other.name} to stream from {winner.name}")
        assert other.in_recovery()
        promoted = wait_until(lambda: repl_events(winner, "repmgrd_failover_promote"),
                              what="promote event")
        assert promoted[0][:2] == (2, True)
        followed = wait_until(lambda: repl_events(winner, "repmgrd_failover_follow"),
                              what="follow event")
        assert followed[0][:2] == (3, True)
        assert notified(winner, "repmgrd_failover_promote")
        assert notified(other, "repmgrd_failover_follow")
        # metadata: one active master, the old one inactive, node3 upstream node2
        rows = winner.sql("SELECT id, type, active, upstream_node_id FROM repmgr_test.repl_nodes "
                          "WHERE type <> 'witness' ORDER BY id", dbname="repmgr")
        assert rows == [(1, "master", False, None), (2, "master", True, None),
                        (3, "standby", True, 2)]
        # writes on the new primary reach the follower
        winner.sql("INSERT INTO t VALUES (101)", dbname="repmgr")
        wait_until(lambda: other.sql_one("SELECT count(*) FROM t", dbname="repmgr") == 101,
                   what="the follower to replay the new primary's write")
        # the witness arbitrated exactly one claim for this term
        claims = witness.sql("SELECT failed_primary_id, winner_node_id FROM "
                             "repmgr_test.repl_failover_claim", dbname="repmgr")
        assert claims == [(1, 2)]
        assert "I will not fail over" not in daemons["node2"].log()
    finally:
        worst = sampler.stop()
    assert worst <= 1, f"two writable primaries seen: {sampler.seen}"
