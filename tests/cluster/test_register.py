"""primary register / unregister and standby register / unregister on real
PostgreSQL 15 servers: the seed's walkthrough, re-runs, refusals and -F."""

import re

from pylib import queries
from pylib.wait import wait_until

TS = r"\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\]"


def nodes(node):
    return queries.nodes(node, "id, type, upstream_node_id, cluster, name, priority, active")


def events(node, event):
    return queries.events(node, event, "node_id, event, successful, details")


def test_seed_walkthrough(harness, registered_pair):
    primary, standby = registered_pair
    assert nodes(primary) == [(1, "master", None, "test", "node1", 100, True),
                              (2, "standby", 1, "test", "node2", 100, True)]
    # the standby has its own copy of the records
    assert standby.sql_one("SELECT count(*) FROM repmgr_test.repl_nodes", dbname="repmgr") == 2
    r = harness.repmgr("cluster", "show", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "ID" in lines[0] and "Status" in lines[0]
    assert any("node1" in l and "primary" in l and "* running" in l for l in lines)
    assert any("node2" in l and "standby" in l and "* running" in l and "node1" in l
               for l in lines)


def test_register_messages_and_metadata_objects(harness):
    primary = harness.primary("node1")
    primary.write_repmgr_conf(1)
    r = harness.repmgr("primary", "register", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    assert re.search(TS + r" \[NOTICE\] master node correctly registered for cluster test "
                     r"with id 1 \(conninfo: " + re.escape(primary.conninfo()) + r"\)$",
                     r.stderr, re.M), r.stderr
    # the seed's tables and views, plus a schema version for in-place upgrades
    objects = primary.sql(
        "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'repmgr_test' AND c.relkind IN ('r', 'v') ORDER BY 1", dbname="repmgr")
    assert ("repl_nodes", "r") in objects and ("repl_events", "r") in objects
    assert ("repl_monitor", "r") in objects
    assert ("repl_show_nodes", "v") in objects and ("repl_status", "v") in objects
    assert primary.sql_one("SELECT max(version) FROM repmgr_test.repl_schema_version",
                           dbname="repmgr") >= 1
    cols = [c for (c,) in primary.sql(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'repmgr_test' "
        "AND table_name = 'repl_nodes' ORDER BY ordinal_position", dbname="repmgr")]
    assert cols[:9] == ["id", "type", "upstream_node_id", "cluster", "name", "conninfo",
                        "slot_name", "priority", "active"]
    assert events(primary, "master_register")[0][:3] == (1, "master_register", True)

    standby = harness.standby_of(primary, "node2")
    standby.write_repmgr_conf(2)
    r = harness.repmgr("standby", "register", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    assert re.search(TS + r" \[NOTICE\] standby node correctly registered for cluster test "
                     r"with id 2 \(conninfo: " + re.escape(standby.conninfo()) + r"\)$",
                     r.stderr, re.M), r.stderr
    # the command waits until the record has replicated to the standby itself
    assert standby.sql("SELECT id, type, upstream_node_id FROM repmgr_test.repl_nodes "
                       "WHERE id = 2", dbname="repmgr") == [(2, "standby", 1)]
    assert [e[:3] for e in events(primary, "standby_register")] == [(2, "standby_register", True)]


def test_primary_register_rerun_and_force(harness):
    primary = harness.primary("node1")
    primary.write_repmgr_conf(1)
    assert harness.repmgr("primary", "register", conf=primary.conf).returncode == 0

    # re-running is a no-op that says so
    r = harness.repmgr("primary", "register", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    assert "already registered" in r.stderr
    assert len(events(primary, "master_register")) == 1

    # "master register" is the seed's spelling of the same command
    r = harness.repmgr("master", "register", conf=primary.conf)
    assert r.returncode == 0 and "already registered" in r.stderr, r.stderr

    # a changed repmgr.conf is refused without -F and changes nothing
    primary.write_repmgr_conf(1, extra={"priority": "42"})
    r = harness.repmgr("primary", "register", conf=primary.conf)
    assert r.returncode == 1, r.stderr
    assert "-F/--force" in r.stderr
    assert nodes(primary)[0][5] == 100

    # --dry-run checks and changes nothing
    r = harness.repmgr("primary", "register", "-F", "--dry-run", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    assert nodes(primary)[0][5] == 100

    r = harness.repmgr("primary", "register", "-F", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    assert nodes(primary) == [(1, "master", None, "test", "node1", 42, True)]


def test_primary_register_refused_on_a_standby(harness):
    primary = harness.primary("node1")
    primary.write_repmgr_conf(1)
    assert harness.repmgr("primary", "register", conf=primary.conf).returncode == 0
    standby = harness.standby_of(primary, "node2")
    standby.write_repmgr_conf(2)
    r = harness.repmgr("primary", "register", conf=standby.conf)
    assert r.returncode == 1, r.stderr
    assert "recovery" in r.stderr
    # and standby register is refused on the primary
    r = harness.repmgr("standby", "register", conf=primary.conf)
    assert r.returncode == 1, r.stderr
    assert "not in recovery" in r.stderr
    assert len(nodes(primary)) == 1


def test_standby_register_rerun_is_noop(harness, registered_pair):
    primary, standby = registered_pair
    r = harness.repmgr("standby", "register", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    assert "already registered" in r.stderr
    assert len(events(primary, "standby_register")) == 1


def test_standby_register_with_upstream_node_id(harness, registered_pair):
    primary, standby = registered_pair
    # node3 cascades from node2
    node3 = harness.standby_of(standby, "node3")
    node3.write_repmgr_conf(3)

    r = harness.repmgr("standby", "register", "--upstream-node-id=99", conf=node3.conf)
    assert r.returncode == 1, r.stderr
    assert "upstream node 99 is not registered" in r.stderr
    assert [n[0] for n in nodes(primary)] == [1, 2]

    r = harness.repmgr("standby", "register", "--upstream-node-id=2", conf=node3.conf)
    assert r.returncode == 0, r.stderr
    assert nodes(primary)[2] == (3, "standby", 2, "test", "node3", 100, True)
    # replicated through node2 to node3 before the command returned
    assert node3.sql_one("SELECT upstream_node_id FROM repmgr_test.repl_nodes WHERE id = 3",
                         dbname="repmgr") == 2
    r = harness.repmgr("cluster", "show", conf=node3.conf)
    assert r.returncode == 0, r.stdout + r.stderr
    row3 = [l for l in r.stdout.splitlines() if "node3" in l][0]
    assert "node2" in row3 and "* running" in row3


def test_standby_unregister(harness, registered_pair):
    primary, standby = registered_pair
    r = harness.repmgr("standby", "unregister", "--dry-run", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    assert [n[0] for n in nodes(primary)] == [1, 2]

    r = harness.repmgr("standby", "unregister", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    assert [n[0] for n in nodes(primary)] == [1]
    assert [e[:3] for e in events(primary, "standby_unregister")] == [
        (2, "standby_unregister", True)]
    # safe to re-run
    r = harness.repmgr("standby", "unregister", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    assert "not registered" in r.stderr


def test_standby_unregister_node_that_is_gone(harness, registered_pair):
    primary, standby = registered_pair
    standby.stop()
    r = harness.repmgr("standby", "unregister", "--node-id=2", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    assert [n[0] for n in nodes(primary)] == [1]
    # the primary is not a standby
    r = harness.repmgr("standby", "unregister", "--node-id=1", conf=primary.conf)
    assert r.returncode == 1, r.stderr
    assert "primary unregister" in r.stderr
    assert [n[0] for n in nodes(primary)] == [1]


def test_primary_unregister(harness, registered_pair):
    primary, standby = registered_pair
    # the running primary with a standby attached is refused
    r = harness.repmgr("primary", "unregister", conf=primary.conf)
    assert r.returncode == 1, r.stderr
    assert len(nodes(primary)) == 2

    # the standby is promoted by hand, the old primary goes away
    standby.sql("SELECT pg_promote()")
    primary.stop()
    r = harness.repmgr("primary", "register", "-F", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    assert nodes(standby) == [(1, "master", None, "test", "node1", 100, False),
                              (2, "master", None, "test", "node2", 100, True)]
    r = harness.repmgr("primary", "unregister", "--node-id=1", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    assert [n[0] for n in nodes(standby)] == [2]
    assert [e[:2] for e in events(standby, "master_unregister")] == [(2, "master_unregister")]


def test_dead_host_is_exit_6(harness):
    dead = harness.node("dead")  # never started: nothing listens on its port
    conf = harness.write_file("dead/repmgr.conf",
                              f"cluster=test\nnode=1\nnode_name=dead\n"
                              f"conninfo='{dead.conninfo()}'\n")
    for args in (("primary", "register"), ("standby", "register"), ("cluster", "show"),
                 ("cluster", "event")):
        r = harness.repmgr(*args, conf=conf)
        assert r.returncode == 6, f"{args}: {r.stderr}"
        assert "[ERROR]" in r.stderr and "[HINT]" in r.stderr


def test_node_names_with_quotes_and_semicolons(harness):
    name = "it's; DROP TABLE x; --\"q\""
    primary = harness.primary("node1")
    conf_name = name.replace("\\", "\\\\").replace("'", "\\'")
    primary.write_repmgr_conf(1, extra={"node_name": f"'{conf_name}'"})
    r = harness.repmgr("primary", "register", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    assert primary.sql_one("SELECT name FROM repmgr_test.repl_nodes WHERE id = 1",
                           dbname="repmgr") == name
    r = harness.repmgr("cluster", "show", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    assert name in r.stdout
    r = harness.repmgr("primary", "register", conf=primary.conf)
    assert r.returncode == 0 and "already registered" in r.stderr, r.stderr


def test_standby_register_without_a_running_primary(harness, registered_pair):
    primary, standby = registered_pair
    assert harness.repmgr("standby", "unregister", conf=standby.conf).returncode == 0
    primary.stop()
    r = harness.repmgr("standby", "register", conf=standby.conf)
    assert r.returncode == 6, r.stderr
    assert "unable to find a running primary" in r.stderr
    assert "[HINT]" in r.stderr


def test_duplicate_node_name_is_refused(harness):
    primary = harness.primary("node1")
    primary.write_repmgr_conf(1)
    assert harness.repmgr("primary", "register", conf=primary.conf).returncode == 0
    standby = harness.standby_of(primary, "node2")
    standby.write_repmgr_conf(2, extra={"node_name": "node1"})
    r = harness.repmgr("standby", "register", conf=standby.conf)
    assert r.returncode == 1, r.stderr
    assert 'node name "node1" is already used by node 1' in r.stderr
    assert [n[0] for n in nodes(primary)] == [1]


def test_commands_before_primary_register(harness):
    primary = harness.primary("node1")
    primary.write_repmgr_conf(1)
    for args in (("cluster", "show"), ("cluster", "event"), ("standby", "unregister")):
        r = harness.repmgr(*args, conf=primary.conf)
        assert r.returncode == 1, f"{args}: {r.stderr}"
        assert 'metadata schema "repmgr_test" not found' in r.stderr
        assert "primary register" in r.stderr  # the hint says what to do


def test_another_active_primary_is_refused_without_force(harness, registered_pair):
    primary, standby = registered_pair
    standby.sql("SELECT pg_promote()")
    wait_until(lambda: not standby.in_recovery(), timeout=30, what="promotion")
    r = harness.repmgr("primary", "register", conf=standby.conf)
    assert r.returncode == 1, r.stderr
    assert "-F/--force" in r.stderr
    assert nodes(primary)[0][6] is True  # node1 still the active primary
