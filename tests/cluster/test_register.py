"""primary register, standby register/unregister, cluster show on real servers."""


def test_seed_walkthrough(harness, registered_pair):
    primary, standby = registered_pair
    rows = primary.sql("SELECT id, type, upstream_node_id, cluster, name, priority, active "
                       "FROM repmgr_test.repl_nodes ORDER BY id", dbname="repmgr")
    assert rows == [(1, "master", None, "test", "node1", 100, True),
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
