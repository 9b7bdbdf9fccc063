"""--node-name works wherever --node-id does, and is refused when it names nothing
or another node than --node-id."""

import csv
import io

from pylib.queries import SCHEMA


def node_ids(node):
    return [r[0] for r in node.sql(f"SELECT id FROM {SCHEMA}.repl_nodes ORDER BY id",
                                   dbname="repmgr")]


def test_standby_unregister_by_name_acts_on_the_named_node(harness, registered_pair):
    primary, standby = registered_pair
    standby.stop()
    # run from the primary's repmgr.conf: the local node (1) must not be the target
    r = harness.repmgr("standby", "unregister", "--node-name=node2", "--dry-run",
                       conf=primary.conf)
    assert r.returncode == 0, r.stderr
    assert "node 2" in r.stderr
    assert node_ids(primary) == [1, 2]

    r = harness.repmgr("standby", "unregister", "--node-name=node2", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    assert node_ids(primary) == [1]
    assert primary.sql(f"SELECT successful, details FROM {SCHEMA}.repl_events "
                       "WHERE event = 'standby_unregister'", dbname="repmgr") == [
        (True, "standby node 2 unregistered")]


def test_unknown_name_is_refused(harness, registered_pair):
    primary, standby = registered_pair
    for args in (("standby", "unregister"), ("primary", "unregister"), ("cluster", "event")):
        r = harness.repmgr(*args, "--node-name=nosuchnode", conf=standby.conf)
        assert r.returncode == 1, (args, r.stderr)
        assert 'no node named "nosuchnode"' in r.stderr, r.stderr
        assert "HINT" in r.stderr and "repmgr cluster show" in r.stderr
    assert node_ids(primary) == [1, 2]


def test_id_and_name_that_disagree_are_refused(harness, registered_pair):
    primary, standby = registered_pair
    r = harness.repmgr("standby", "unregister", "--node-id=1", "--node-name=node2",
                       conf=standby.conf)
    assert r.returncode == 1, r.stderr
    assert "name different nodes" in r.stderr
    assert node_ids(primary) == [1, 2]
    # agreeing options are fine
    r = harness.repmgr("standby", "unregister", "--node-id=2", "--node-name=node2", "--dry-run",
                       conf=primary.conf)
    assert r.returncode == 0, r.stderr


def test_primary_unregister_by_name_targets_the_named_node(harness, registered_pair):
    primary, standby = registered_pair
    # node2 is a standby: the command must say so, not act on the local primary
    r = harness.repmgr("primary", "unregister", "--node-name=node2", conf=primary.conf)
    assert r.returncode == 1, r.stderr
    assert "node 2 is a standby, not a primary" in r.stderr
    assert node_ids(primary) == [1, 2]


def test_cluster_event_by_name(harness, registered_pair):
    primary, standby = registered_pair
    r = harness.repmgr("cluster", "event", "--csv", "--node-name=node2", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    rows = list(csv.reader(io.StringIO(r.stdout)))
    ids = {row[0] for row in rows if row and row[0].isdigit()}
    assert ids == {"2"}, r.stdout
    r = harness.repmgr("cluster", "event", "--csv", "--node-id=1", conf=primary.conf)
    ids = {row[0] for row in csv.reader(io.StringIO(r.stdout)) if row and row[0].isdigit()}
    assert ids == {"1"}, r.stdout
