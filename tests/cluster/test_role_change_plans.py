"""Role changes are check -> plan -> execute: --dry-run prints the plan's steps
and changes nothing, and execute then runs exactly those steps."""

import os
import re

import pytest

from pylib.queries import SCHEMA, streams_from

DRY_STEP = re.compile(r"\[NOTICE\] \[dry run\] (step \d+/\d+: .*)$")
RUN_STEP = re.compile(r"\[NOTICE\] (step \d+/\d+: .*)$")


def dry_run_steps(stderr):
    return [m.group(1) for line in stderr.splitlines() if (m := DRY_STEP.search(line))]


def executed_steps(stderr):
    return [m.group(1) for line in stderr.splitlines()
            if "[dry run]" not in line and (m := RUN_STEP.search(line))]


def metadata(node):
    """Everything a role change may write: node records and events."""
    nodes = node.sql(f"SELECT id, type, upstream_node_id, active, slot_name "
                     f"FROM {SCHEMA}.repl_nodes ORDER BY id", dbname="repmgr")
    events = node.sql(f"SELECT count(*) FROM {SCHEMA}.repl_events", dbname="repmgr")
    return nodes, events


def auto_conf(node):
    with open(os.path.join(node.datadir, "postgresql.auto.conf")) as f:
        return f.read()


def plan_then_run(harness, args, conf):
    """Runs the command with --dry-run, then for real; returns both step lists."""
    dry = harness.repmgr(*args, "--dry-run", conf=conf)
    assert dry.returncode == 0, dry.stderr
    planned = dry_run_steps(dry.stderr)
    assert planned, dry.stderr
    assert "all checks passed" in dry.stderr
    return planned, dry


def run_for_real(harness, args, conf):
    r = harness.repmgr(*args, conf=conf)
    assert r.returncode == 0, r.stderr
    return executed_steps(r.stderr)


def test_promote_plan(harness, registered_pair):
    primary, standby = registered_pair
    primary.stop("fast")
    before = metadata(standby)
    planned, _ = plan_then_run(harness, ("standby", "promote"), standby.conf)
    assert planned[0].startswith("step 1/2: promote node 2 (\"node2\")")
    assert "pg_promote()" in planned[0]
    assert "former primary node 1 as inactive" in planned[1]
    assert standby.in_recovery()
    assert metadata(standby) == before

    assert run_for_real(harness, ("standby", "promote"), standby.conf) == planned
    assert not standby.in_recovery()


def test_follow_plan(harness, trio):
    primary, s1, s2 = trio
    primary.stop("fast")
    assert harness.repmgr("standby", "promote", conf=s1.conf).returncode == 0

    before, conf_before = metadata(s1), auto_conf(s2)
    planned, dry = plan_then_run(harness, ("standby", "follow"), s2.conf)
    assert "timeline check passed" in dry.stderr
    assert any("set primary_conninfo" in s and str(s1.port) in s for s in planned), planned
    assert any(s.startswith(f"step {len(planned)}/{len(planned)}: record node 3's upstream "
                            "as node 2") for s in planned), planned
    assert metadata(s1) == before and auto_conf(s2) == conf_before
    assert not streams_from(s1, "node3")

    assert run_for_real(harness, ("standby", "follow"), s2.conf) == planned
    assert streams_from(s1, "node3")


def test_rejoin_plan_without_and_with_rewind(harness, registered_pair):
    primary, standby = registered_pair
    primary.sql("CREATE TABLE t (v text)")
    # split brain on purpose, so that node1 needs a rewind
    assert harness.repmgr("standby", "promote", "-F", conf=standby.conf).returncode == 0
    primary.sql("INSERT INTO t VALUES ('lost')")
    primary.stop("fast")

    args = ("node", "rejoin", "-d", standby.conninfo(), "--force-rewind")
    before = metadata(standby)
    planned, dry = plan_then_run(harness, args, primary.conf)
    assert "a rewind is needed" in dry.stderr
    assert any("run CHECKPOINT on node 2" in s for s in planned), planned
    assert any("with pg_rewind" in s for s in planned), planned
    assert any("start node 1 as a standby of node 2" in s for s in planned), planned
    assert not primary.running()
    assert metadata(standby) == before

    assert run_for_real(harness, args, primary.conf) == planned
    assert primary.in_recovery() and streams_from(standby, "node1")

    # rejoined and stopped again cleanly: no rewind in the plan this time
    primary.stop("fast")
    planned, dry = plan_then_run(harness, ("node", "rejoin", "-d", standby.conninfo()),
                                 primary.conf)
    assert "no rewind needed" in dry.stderr
    assert not any("pg_rewind" in s for s in planned), planned
    assert run_for_real(harness, ("node", "rejoin", "-d", standby.conninfo()),
                        primary.conf) == planned


@pytest.mark.ssh
def test_switchover_plan(harness, ssh_trio):
    n1, n2, n3 = ssh_trio

    before = metadata(n1)
    planned, _ = plan_then_run(harness, ("standby", "switchover"), n2.conf)
    text = "\n".join(planned)
    assert "stop the primary node 1 (\"node1\")" in text
    assert "replayed the primary's shutdown checkpoint" in text
    assert "promote node 2 (\"node2\") (this node)" in text
    assert "node rejoin" in text and "--force-rewind" in text
    assert "leave node 3 (\"node3\") following node 1" in text
    assert not n1.in_recovery() and n2.in_recovery()
    assert metadata(n1) == before

    # with --siblings-follow the plan moves node3 instead
    sib, _ = plan_then_run(harness, ("standby", "switchover", "--siblings-follow"), n2.conf)
    assert any("make node 3 (\"node3\") follow this node" in s for s in sib), sib
    assert not any("leave node 3" in s for s in sib)

    assert run_for_real(harness, ("standby", "switchover", "--siblings-follow"), n2.conf) == sib
    assert not n2.in_recovery() and n1.in_recovery()
