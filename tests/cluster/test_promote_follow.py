"""standby promote and standby follow on real servers."""

from pylib.conf import ssh_extra
from pylib.queries import events, nodes, streams_from
from pylib.wait import wait_until


def test_promote_refused_while_primary_runs(harness, registered_pair):
    primary, standby = registered_pair
    r = harness.repmgr("standby", "promote", conf=standby.conf)
    assert r.returncode == 8, r.stderr
    assert "already has an active primary" in r.stderr
    assert "HINT" in r.stderr
    assert standby.in_recovery()
    assert not primary.in_recovery()


def test_promote_after_primary_killed(harness, registered_pair):
    primary, standby = registered_pair
    primary.sql("CREATE TABLE t (id int)")
    primary.sql("INSERT INTO t SELECT generate_series(1, 10)")
    wait_until(lambda: standby.sql_one("SELECT count(*) FROM pg_class WHERE relname = 't'") == 1)
    wait_until(lambda: standby.sql_one("SELECT count(*) FROM t") == 10)
    primary.kill9()

    r = harness.repmgr("standby", "promote", "--dry-run", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    assert standby.in_recovery()

    r = harness.repmgr("standby", "promote", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    assert not standby.in_recovery()
    standby.sql("INSERT INTO t VALUES (11)")
    assert standby.sql_one("SELECT count(*) FROM t") == 11
    assert nodes(standby) == [(1, "master", None, False), (2, "master", None, True)]
    assert events(standby, "standby_promote") == [(2, True)]
    # pg_control names the new timeline at once (PostgreSQL's own checkpoint
    # after a promotion takes minutes; pg_rewind of this node reads pg_control).
    assert standby.sql_one("SELECT timeline_id FROM pg_control_checkpoint()") == 2

    # safe to re-run
    r = harness.repmgr("standby", "promote", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    assert "already the primary" in r.stderr

    r = harness.repmgr("cluster", "show", conf=standby.conf)
    assert any("node2" in l and "primary" in l and "* running" in l for l in r.stdout.splitlines())


def test_follow_new_primary(harness, trio):
    primary, s1, s2 = trio
    primary.stop("fast")
    r = harness.repmgr("standby", "promote", conf=s1.conf)
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("HINT") >= 1  # node3 still follows the old primary

    r = harness.repmgr("standby", "follow", "--dry-run", conf=s2.conf)
    assert r.returncode == 0, r.stderr
    assert not streams_from(s1, "node3")

    r = harness.repmgr("standby", "follow", conf=s2.conf)
    assert r.returncode == 0, r.stderr
    assert streams_from(s1, "node3")
    rows = nodes(s1)
    assert rows == [(1, "master", None, False), (2, "master", None, True),
                    (3, "standby", 2, True)]
    assert events(s1, "standby_follow") == [(3, True)]

    s1.sql("CREATE TABLE after_follow (id int)")
    s1.sql("INSERT INTO after_follow VALUES (1)")
    wait_until(lambda: s2.sql_one("SELECT count(*) FROM after_follow") == 1)

    # safe to re-run
    r = harness.repmgr("standby", "follow", conf=s2.conf)
    assert r.returncode == 0, r.stderr
    assert "nothing to do" in r.stderr


def test_follow_waits_for_a_primary(harness, registered_pair):
    primary, standby = registered_pair
    primary.stop("fast")
    r = harness.repmgr("standby", "follow", conf=standby.conf)
    assert r.returncode == 23, r.stderr
    assert "no running primary" in r.stderr


def test_follow_refuses_diverged_timeline(harness, trio):
    primary, s1, s2 = trio
    # node2 misses the last writes that node3 receives, then node2 is promoted:
    # node3's WAL now goes beyond the point where node2 left timeline 1.
    s1.stop("fast")
    primary.sql("CREATE TABLE only_old (id int)")
    primary.sql("INSERT INTO only_old SELECT generate_series(1, 100)")
    wait_until(lambda: s2.sql_one("SELECT count(*) FROM pg_class WHERE relname = 'only_old'") == 1)
    primary.kill9()
    s1.start()
    r = harness.repmgr("standby", "promote", conf=s1.conf)
    assert r.returncode == 0, r.stderr

    r = harness.repmgr("standby", "follow", conf=s2.conf)
    assert r.returncode == 23, r.stderr
    assert "diverged" in r.stderr
    assert "--force-rewind" in r.stderr
    assert not streams_from(s1, "node3")
    assert nodes(s1)[2] == (3, "standby", 1, True)


def test_promote_siblings_follow(harness, trio, sshd):
    primary, s1, s2 = trio
    extra = ssh_extra(harness, sshd)
    s1.write_repmgr_conf(2, extra=extra)
    s2.write_repmgr_conf(3, extra=extra)
    primary.kill9()
    r = harness.repmgr("standby", "promote", "--siblings-follow", conf=s1.conf)
    assert r.returncode == 0, r.stderr + r.stdout
    wait_until(lambda: streams_from(s1, "node3"), what="node3 streaming from node2")
    assert nodes(s1) == [(1, "master", None, False), (2, "master", None, True),
                         (3, "standby", 2, True)]
    s1.sql("CREATE TABLE after_promote (id int)")
    wait_until(lambda: s2.sql_one(
        "SELECT count(*) FROM pg_class WHERE relname = 'after_promote'") == 1)


def test_follow_wait_gives_up_after_primary_follow_timeout(harness, registered_pair):
    primary, standby = registered_pair
    standby.write_repmgr_conf(2, extra={"primary_follow_timeout": "2"})
    primary.stop("fast")
    r = harness.repmgr("standby", "follow", "-w", conf=standby.conf)
    assert r.returncode == 23, r.stderr
    assert "primary_follow_timeout" in r.stderr
    # the primary comes back: -w finds it and there is nothing to change
    primary.start()
    r = harness.repmgr("standby", "follow", "-w", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    wait_until(lambda: streams_from(primary, "node2"))
