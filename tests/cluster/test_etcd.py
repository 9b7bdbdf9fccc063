"""arbiter=etcd on a real 3-member etcd (Debian's etcd-server): the primary
holds the leader key on a lease, a standby promotes only after taking the key
with its claim in one transaction, and a primary that cannot renew its lease
makes itself read-only before the lease can lapse. A sampler checks that at
most one server accepts writes at any moment."""

import json
import time

import pytest

from pylib.clusters import WritableSampler, make_cluster
from pylib.conf import ssh_extra
from pylib.etcd import EtcdCluster, etcd_settings, wait_leader
from pylib.queries import (events, fence_in_config, read_only_by_default, streams_from,
                           writable)
from pylib.wait import wait_until

PREFIX = "/repmgr/test/"


def etcd_cluster(harness, ttl=5, **extra):
    etcd = EtcdCluster(harness).start()
    primary, standbys, witness, daemons = make_cluster(harness, witness=False,
                                                       **etcd_settings(etcd, ttl=ttl), **extra)
    assert witness is None
    wait_leader(etcd, 1)
    return etcd, primary, standbys, daemons


@pytest.mark.slow
def test_kill9_failover_through_etcd(harness):
    etcd, primary, (s2, s3), daemons = etcd_cluster(harness)
    sampler = WritableSampler([primary, s2, s3])
    try:
        assert writable(primary), daemons["node1"].log()
        killed = time.monotonic()
        primary.kill9()
        new = wait_until(lambda: [s for s in (s2, s3) if writable(s)], timeout=60,
                         what="a new primary")
        elapsed = time.monotonic() - killed
        winner = new[0]
        other = s3 if winner is s2 else s2
        winner_id = int(winner.name[-1])
        # The crash was reported with the key given up: no lease to wait for.
        assert "reporting the crash" in daemons["node1"].log(), daemons["node1"].log()
        wait_leader(etcd, winner_id)
        term = json.loads(etcd.get(PREFIX + "term/1/1"))
        assert term == {"holder": winner_id, "confirmed": True, "passed_over": []}, term
        assert etcd.get(PREFIX + "term/1/1/live") is None
        wait_until(lambda: streams_from(winner, other.name), timeout=60,
                   what=f"{other.name} to stream from {winner.name}")
        promoted = wait_until(lambda: events(winner, "repmgrd_failover_promote"),
                              what="promote event")
        assert promoted[0][:2] == (winner_id, True)
        log = daemons[winner.name].log()
        assert "claimed the failover of node 1 (timeline 1) on the etcd" in log, log
        # The new primary renews the key it took with its claim.
        time.sleep(7)  # longer than etcd_ttl (5 s)
        assert etcd.get(PREFIX + "leader") == str(winner_id)
        assert writable(winner)
        print(f"kill -9 to a writable standby through etcd: {elapsed:.1f} s")
    finally:
        worst = sampler.stop()
    assert worst <= 1, f"two writable primaries seen: {sampler.seen}"


@pytest.mark.slow
def test_primary_that_cannot_renew_its_lease_fences_itself_and_comes_back(harness):
    etcd, primary, (s2, s3), daemons = etcd_cluster(harness)
    # node check --etcd (Nagios): every endpoint answers, this primary holds the key.
    r = harness.repmgr("node", "check", "--etcd", "--nagios", conf=primary.conf)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("REPMGR_ETCD OK: 3 of 3 etcd endpoints answer; node 1 holds the "
                               "leader key"), r.stdout
    r = harness.repmgr("cluster", "show", conf=s2.conf)
    assert r.returncode == 0, r.stdout + r.stderr
    assert ("Arbiter: etcd, 3 of 3 endpoint(s) answer; node 1 holds the leader key"
            in r.stdout), r.stdout
    etcd.members[2].stop()
    r = harness.repmgr("node", "check", "--etcd", "--nagios", conf=s2.conf)
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout.startswith("REPMGR_ETCD WARNING: 2 of 3 etcd endpoints answer"), r.stdout
    sampler = WritableSampler([primary, s2, s3])
    try:
        etcd.stop_all()
        lost = time.monotonic()
        # Read-only before the lease (5 s) could lapse, then demoted
        # (fence_demote_timeout 1 s): not writable by any session.
        try:
            wait_until(lambda: not writable(primary, timeout=2), timeout=30,
                       what="the primary to stop taking writes")
        except AssertionError as e:
            raise AssertionError(f"{e}\n{daemons['node1'].log()}") from None
        assert time.monotonic() - lost < 5 + 3
        log = daemons["node1"].log()
        assert "could not renew its leader lease on etcd" in log, log
        r = harness.repmgr("cluster", "show", conf=s2.conf)
        assert r.returncode == 25, r.stdout + r.stderr
        assert "Arbiter: etcd, none of 3 endpoint(s) answers" in r.stdout, r.stdout
        assert "none of the 3 etcd endpoint(s) answers" in r.stderr, r.stderr
        r = harness.repmgr("node", "check", "--etcd", "--nagios", conf=s2.conf)
        assert r.returncode == 2, r.stdout + r.stderr
        assert r.stdout.startswith("REPMGR_ETCD CRITICAL: none of the 3 etcd endpoint(s) "
                                   "answers"), r.stdout
        # Without etcd nobody may take the key: no standby promotes.
        time.sleep(8)
        assert not writable(s2) and not writable(s3)
        # Demoted, node 1 sheds the fence without etcd (a standby takes no
        # writes), so it cannot come back as a primary still read-only.
        wait_until(lambda: not fence_in_config(primary), timeout=15,
                   what="the demoted node 1 to lift its read-only fence")
        etcd.start_all()
        # One node takes the key and becomes the primary; the others follow it.
        holder = wait_until(lambda: etcd.get(PREFIX + "leader"), timeout=60,
                            what="a node to hold the leader key")
        leader = {"1": primary, "2": s2, "3": s3}[holder]
        wait_until(lambda: writable(leader), timeout=60, what=f"{leader.name} writable")
        for n in (primary, s2, s3):
            if n is not leader:
                wait_until(lambda n=n: streams_from(leader, n.name), timeout=120,
                           what=f"{n.name} to stream from {leader.name}")
        assert not read_only_by_default(leader)
    finally:
        worst = sampler.stop()
    assert worst <= 1, f"two writable primaries seen: {sampler.seen}"


@pytest.mark.slow
@pytest.mark.ssh
def test_switchover_hands_the_leader_key_over(harness, sshd):
    extra = ssh_extra(harness, sshd)
    del extra["remote_config_file"]  # each node's recorded path is used
    etcd, primary, (s2, s3), daemons = etcd_cluster(harness, **extra)
    sampler = WritableSampler([primary, s2, s3])
    try:
        r = harness.repmgr("standby", "switchover", "--siblings-follow", conf=s2.conf)
        assert r.returncode == 0, r.stderr + r.stdout
        assert "node 2 holds the leader key on etcd now" in r.stderr, r.stderr
        assert etcd.get(PREFIX + "leader") == "2"
        assert primary.in_recovery() and not s2.in_recovery()
        # Longer than the old primary's lease (5 s): node2 renews the key and
        # was never fenced for want of it.
        time.sleep(7)
        assert etcd.get(PREFIX + "leader") == "2"
        assert writable(s2) and not read_only_by_default(s2)
        log = daemons["node2"].log()
        assert "holds the leader key on etcd, not this node" not in log, log
        assert "does not hold the leader key" not in log, log
        wait_until(lambda: streams_from(s2, "node1") and streams_from(s2, "node3"), timeout=60,
                   what="node1 and node3 to stream from node2")
    finally:
        worst = sampler.stop()
    assert worst <= 1, f"two writable primaries seen: {sampler.seen}"


@pytest.mark.slow
def test_failsafe_keeps_the_primary_writable_while_etcd_is_down_for_everyone(harness):
    # etcd_failsafe needs etcd_ttl >= 2*1 + 2 + 1 + 2 = 7 with the test timings.
    etcd, primary, (s2, s3), daemons = etcd_cluster(harness, ttl=7, etcd_failsafe="on")
    # The node list in etcd, as cluster show prints it.
    wait_until(lambda: etcd.get(PREFIX + "nodes/3"), what="node 3's report in etcd")
    r = harness.repmgr("cluster", "show", conf=s2.conf)
    assert r.returncode == 0, r.stdout + r.stderr
    assert 'node 1 ("node1"), reported' in r.stdout and "accepts writes" in r.stdout, r.stdout
    assert 'node 3 ("node3"), reported' in r.stdout and "standby of node 1" in r.stdout, r.stdout
    sampler = WritableSampler([primary, s2, s3])
    try:
        etcd.stop_all()
        # Twice the lease: the primary's key is long gone, it stays writable.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            assert writable(primary), daemons["node1"].log()
            time.sleep(1)
        assert not writable(s2) and not writable(s3)
        log = daemons["node1"].log()
        # Entered once, never left while every node promised (no flapping).
        assert log.count("stays writable (etcd_failsafe)") == 1, log
        assert "making this node read-only" not in log, log
        assert "promises primary node 1, every tick, not to take the leader key" in \
            daemons["node2"].log(), daemons["node2"].log()
        # node3 stops promising (its repmgrd stops): the primary fences
        # itself before node3's last promise can end.
        daemons["node3"].stop()
        wait_until(lambda: not writable(primary, timeout=2), timeout=15,
                   what="the primary to fence itself")
        log = daemons["node1"].log()
        assert "etcd_failsafe does not keep it writable: node(s) 3 did not promise" in log, log
        daemons["node3"] = harness.start_repmgrd(s3)
        etcd.start_all()
        # The primary takes its key again and lifts its fence; nobody else promoted.
        wait_leader(etcd, 1, timeout=60)
        wait_until(lambda: writable(primary), timeout=60, what="node1 writable again")
        assert not writable(s2) and not writable(s3)
        for n in (s2, s3):
            wait_until(lambda n=n: streams_from(primary, n.name), timeout=60,
                       what=f"{n.name} to stream from node1")
    finally:
        worst = sampler.stop()
    assert worst <= 1, f"two writable primaries seen: {sampler.seen}"


@pytest.mark.slow
def test_failsafe_does_not_keep_a_primary_that_only_it_cannot_reach_etcd_from(harness):
    # Only node1's endpoints are wrong: the standbys reach etcd, so they
    # promise nothing, and the primary (which never held the key) is fenced.
    etcd = EtcdCluster(harness).start()
    dead = "'http://127.0.0.1:9'"  # the discard port: nothing listens there
    primary, (s2, s3), _, daemons = make_cluster(
        harness, witness=False, per_node={1: {"etcd_endpoints": dead}},
        **etcd_settings(etcd, ttl=7), etcd_failsafe="on")
    wait_until(lambda: not writable(primary, timeout=2), timeout=30,
               what="the primary to fence itself")
    log = daemons["node1"].log()
    assert "etcd_failsafe does not keep it writable: node(s) 2, 3 did not promise" in log, log
    assert "promises primary node" not in daemons["node2"].log()
    assert not writable(s2) and not writable(s3)
