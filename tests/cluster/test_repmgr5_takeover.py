"""A live repmgr 5.3 cluster (built by repmgr 5 itself: primary register,
standby clone, standby register, its repmgrd with its extension preloaded) is
taken over by ours following docs/moving-from-repmgr5.md step by step: no
re-clone, no restart, a writer committing on the primary all along; then our
repmgrd fails over. And `cluster import-repmgr5` on its own: dry run, re-run,
records that became ours."""

import json
import threading
import time

import psycopg
import pytest

from pylib import repmgr5
from pylib.harness import PG_BIN
from pylib.queries import streams_from, writable
from pylib.wait import wait_until

pytestmark = pytest.mark.skipif(not repmgr5.available(),
                                reason="needs Debian's postgresql-15-repmgr (repmgr 5.3)")

SCHEMA = "repmgr_default"  # a repmgr 5 repmgr.conf has no "cluster" key
NODE_COLUMNS = "id, name, type, upstream_node_id, priority, location, active, slot_name, config_file"


def our_nodes(node):
    return node.sql(f"SELECT {NODE_COLUMNS} FROM {SCHEMA}.repl_nodes ORDER BY id", dbname="repmgr")


def as_ours(repmgr5_rows):
    """repmgr 5's rows in our spelling (its "primary" is stored as "master")."""
    return [(i, name, "master" if t == "primary" else t, up, prio, loc, active, slot, conf)
            for i, name, t, up, prio, loc, active, slot, conf in repmgr5_rows]


def has_our_schema(node):
    return node.sql_one("SELECT count(*) FROM pg_namespace WHERE nspname = %s", (SCHEMA,),
                        dbname="repmgr") == 1


def import_events(node):
    return node.sql_one(f"SELECT count(*) FROM {SCHEMA}.repl_events "
                        "WHERE event = 'cluster_import_repmgr5'", dbname="repmgr")


def postmaster_identity(node):
    return (node.pid(), node.sql_one("SELECT pg_postmaster_start_time()"))


class Writer:
    """Commits one row every 20 ms on one connection to the primary; records
    when each commit was acknowledged and every error."""

    def __init__(self, node):
        node.sql("CREATE TABLE takeover_writes (id bigserial PRIMARY KEY, at timestamptz "
                 "DEFAULT clock_timestamp())")
        self.conn = node.connect()
        self.commits = []
        self.errors = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                self.conn.execute("INSERT INTO takeover_writes DEFAULT VALUES")
                self.commits.append(time.monotonic())
            except psycopg.Error as e:
                self.errors.append(str(e))
            self._stop.wait(0.02)

    def count_after(self, t):
        return sum(1 for c in self.commits if c > t)

    def stop(self):
        self._stop.set()
        self._thread.join(10)
        self.conn.close()

    def longest_gap(self, start, end):
        """(seconds, when it began) of the longest wait between two commits."""
        times = [c for c in self.commits if start <= c <= end]
        return max(((b - a, a) for a, b in zip(times, times[1:])), default=(0.0, start))


def our_repmgrd_env(harness):
    """Our binaries installed in place of repmgr 5's: the `repmgr` of
    promote_command and follow_command (on PATH) is ours."""
    return {"PATH": f"{harness.prefix}/bin:{PG_BIN}:/usr/local/bin:/usr/bin:/bin"}


def test_live_repmgr5_cluster_moves_without_downtime_then_fails_over(harness):
    primary, standbys, daemons5 = repmgr5.build_cluster(harness)
    nodes = [primary] + standbys
    before = {n.name: postmaster_identity(n) for n in nodes}
    writer = Writer(primary)
    idle_start = time.monotonic()
    wait_until(lambda: writer.count_after(idle_start + 2) > 10, timeout=15,
               what="the writer to commit")
    move_start = time.monotonic()
    steps = []  # (step, when it began), to tell in which step the longest gap fell

    # Step 1: the import, dry run, on the primary with its repmgr 5 repmgr.conf.
    steps.append(("1 dry run", time.monotonic()))
    r = harness.repmgr("cluster", "import-repmgr5", "--dry-run", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    for i in (1, 2, 3):
        assert f"would register node {i} (\"node{i}\")" in r.stderr, r.stderr
    assert "repmgr 5's repmgrd is running on node(s) 1, 2, 3" in r.stderr, r.stderr
    assert not has_our_schema(primary)

    # Step 2: the import.
    steps.append(("2 import", time.monotonic()))
    r = harness.repmgr("cluster", "import-repmgr5", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    assert our_nodes(primary) == as_ours(repmgr5.nodes(primary))
    assert import_events(primary) == 1
    assert " setting \"" not in r.stderr, "every key of this repmgr 5 repmgr.conf is ours too"

    # Step 3: every node's view, with our binary and its unchanged repmgr.conf.
    steps.append(("3 cluster show", time.monotonic()))
    for n in nodes:
        wait_until(lambda n=n: has_our_schema(n), timeout=10, what=f"our metadata on {n.name}")
        r = harness.repmgr("cluster", "show", conf=n.conf)
        assert r.returncode == 0, r.stdout + r.stderr
        assert r.stdout.count("* running") == 3, r.stdout

    # Step 4: stop repmgr 5's repmgrd on every node, then step 5: start ours on every node.
    steps.append(("4-5 repmgrd 5 stopped, ours started", time.monotonic()))
    ours, unmanaged = hand_over_daemons(harness, nodes, standbys, daemons5)

    # Step 6: our repmgrd runs on every node.
    steps.append(("6 daemon status", time.monotonic()))
    def all_running():
        r = harness.repmgr("daemon", "status", "--json", conf=primary.conf)
        return r.returncode == 0 and all(v["running"] for v in json.loads(r.stdout))
    wait_until(all_running, timeout=30, what="repmgrd running on every node")

    # Step 7: repmgr 5's extension dropped; the library stays preloaded until a restart.
    steps.append(("7 DROP EXTENSION", time.monotonic()))
    primary.sql("DROP EXTENSION repmgr CASCADE", dbname="repmgr")
    r = harness.repmgr("cluster", "show", conf=standbys[1].conf)
    assert r.returncode == 0, r.stdout + r.stderr

    move_end = time.monotonic()
    wait_until(lambda: writer.count_after(move_end) > 10, timeout=10,
               what="the writer to commit after the move")
    writer.stop()
    gap, began = writer.longest_gap(move_start, move_end)
    step = [name for name, t in steps if t <= began][-1:] or ["1 dry run"]
    idle_gap, _ = writer.longest_gap(idle_start, move_start)
    print(f"longest wait between two commits on the primary: {gap:.3f} s during the move "
          f"(in step {step[0]}), {idle_gap:.3f} s in the {move_start - idle_start:.1f} s before "
          f"it; {writer.count_after(move_start) - writer.count_after(move_end)} commits in "
          f"the {move_end - move_start:.1f} s of the move; {unmanaged:.2f} s from stopping the "
          "first repmgrd 5 to starting the last of ours")
    assert writer.errors == [], writer.errors
    assert writer.count_after(move_start) - writer.count_after(move_end) > 10
    # No server was restarted or re-cloned: same postmasters, same start times.
    assert {n.name: postmaster_identity(n) for n in nodes} == before
    assert all(d.alive() for d in ours.values())

    fails_over(primary, standbys)


def hand_over_daemons(harness, nodes, standbys, daemons5):
    """Steps 4 and 5: repmgr 5's repmgrd stopped on every node, then ours
    started on every node. Returns ours and the seconds in between."""
    unmanaged_from = time.monotonic()
    for d in daemons5.values():
        d.stop()
    ours = {n.name: harness.start_repmgrd(n, env=our_repmgrd_env(harness)) for n in nodes}
    unmanaged = time.monotonic() - unmanaged_from
    for s in standbys:
        # repmgr.conf's log_file: our repmgrd logs where repmgr 5's did
        wait_until(lambda s=s: "standby is running; upstream node 1 answers" in
                   repmgr5.Repmgrd5(s).log(), timeout=30, what=f"our repmgrd on {s.name}")
    return ours, unmanaged


def fails_over(primary, standbys):
    """Our repmgrd fails over: one standby becomes primary, the other follows
    it, and our metadata says so. Returns the new primary."""
    primary.kill9()
    new = wait_until(lambda: next((s for s in standbys if writable(s)), None), timeout=60,
                     what="a standby to be promoted")
    other = next(s for s in standbys if s is not new)
    wait_until(lambda: streams_from(new, other.name), timeout=60,
               what=f"{other.name} to stream from {new.name}")
    assert not writable(other)
    rows = {r[0]: (r[2], r[3], r[6]) for r in our_nodes(new)}
    new_id, other_id = int(new.name[-1]), int(other.name[-1])
    assert rows[new_id] == ("master", None, True)
    assert rows[1][2] is False
    wait_until(lambda: {r[0]: r[3] for r in our_nodes(new)}[other_id] == new_id, timeout=30,
               what="the follower's upstream recorded")
    assert new.sql_one(f"SELECT count(*) FROM {SCHEMA}.repl_events WHERE "
                       "event = 'repmgrd_failover_promote' AND successful", dbname="repmgr") == 1
    return new


def test_import_is_idempotent_and_never_overwrites_newer_records_unforced(harness):
    primary, standbys, _ = repmgr5.build_cluster(harness)
    node2, node3 = standbys

    r = harness.repmgr("cluster", "import-repmgr5", "--dry-run", conf=node3.conf)
    assert r.returncode == 0, r.stderr
    assert not has_our_schema(primary)

    # From a standby: the records are read, and ours written, on the primary.
    r = harness.repmgr("cluster", "import-repmgr5", conf=node3.conf)
    assert r.returncode == 0, r.stderr
    assert our_nodes(primary) == as_ours(repmgr5.nodes(primary))
    assert import_events(primary) == 1

    # Re-run (and dry run) from any node: nothing to do, nothing recorded.
    for n, extra in ((primary, ()), (node2, ()), (primary, ("--dry-run",))):
        r = harness.repmgr("cluster", "import-repmgr5", *extra, conf=n.conf)
        assert r.returncode == 0, r.stderr
        assert "already registered in cluster \"default\"; nothing to do" in r.stderr, r.stderr
    assert import_events(primary) == 1
    # What our own registration writes from the same repmgr.conf is the same record.
    for n, role in ((primary, "primary"), (node2, "standby")):
        r = harness.repmgr(role, "register", conf=n.conf)
        assert r.returncode == 0, r.stderr
        assert "nothing to do" in r.stderr, r.stderr

    # Our record became newer (as after a failover by our repmgrd): not overwritten unforced.
    primary.sql(f"UPDATE {SCHEMA}.repl_nodes SET priority = 10 WHERE id = 3", dbname="repmgr")
    for extra in ((), ("--dry-run",)):
        r = harness.repmgr("cluster", "import-repmgr5", *extra, conf=primary.conf)
        assert r.returncode == 1, r.stderr
        assert "registered: node 3 (\"node3\") as standby of node 1 (priority 10" in r.stderr
    r = harness.repmgr("cluster", "import-repmgr5", "-F", "--dry-run", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    assert "would register node 3 (\"node3\") as standby of node 1 (priority 50" in r.stderr
    assert primary.sql_one(f"SELECT priority FROM {SCHEMA}.repl_nodes WHERE id = 3",
                           dbname="repmgr") == 10
    r = harness.repmgr("cluster", "import-repmgr5", "-F", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    assert our_nodes(primary) == as_ours(repmgr5.nodes(primary))
    assert import_events(primary) == 2

    # Without repmgr 5's metadata there is nothing to import.
    primary.sql("DROP EXTENSION repmgr CASCADE", dbname="repmgr")
    r = harness.repmgr("cluster", "import-repmgr5", conf=primary.conf)
    assert r.returncode == 1
    assert "no repmgr 5 metadata (table repmgr.nodes) on this server" in r.stderr, r.stderr


def test_witness_gets_our_metadata_and_arbitrates_the_failover(harness):
    primary, standbys, daemons5 = repmgr5.build_cluster(harness, witness=True)
    witness = harness.nodes[-1]

    r = harness.repmgr("cluster", "import-repmgr5", "--dry-run", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    assert 'would copy our metadata to witness node 4 ("witness")' in r.stderr, r.stderr
    assert not has_our_schema(witness)
    r = harness.repmgr("cluster", "import-repmgr5", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    assert "metadata copied to witness node(s) 4" in r.stderr, r.stderr
    assert our_nodes(witness) == our_nodes(primary) == as_ours(repmgr5.nodes(primary))

    # A witness that missed the first run (here: its copy dropped) gets it from a re-run.
    witness.sql(f"DROP SCHEMA {SCHEMA} CASCADE", dbname="repmgr")
    r = harness.repmgr("cluster", "import-repmgr5", conf=standbys[0].conf)
    assert r.returncode == 0, r.stderr
    assert our_nodes(witness) == our_nodes(primary)
    assert import_events(primary) == 2
    r = harness.repmgr("cluster", "import-repmgr5", conf=witness.conf)
    assert r.returncode == 0, r.stderr
    assert "nothing to do" in r.stderr, r.stderr
    assert import_events(primary) == 2

    hand_over_daemons(harness, [primary] + standbys + [witness], standbys, daemons5)
    new = fails_over(primary, standbys)
    # The failover was claimed on the witness, as our repmgrd does with one registered.
    assert witness.sql_one(f"SELECT winner_node_id FROM {SCHEMA}.repl_failover_claim "
                           "WHERE failed_primary_id = 1", dbname="repmgr") == int(new.name[-1])
