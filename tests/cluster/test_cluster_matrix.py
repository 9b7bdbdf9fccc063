"""cluster matrix and cluster crosscheck over a real sshd on loopback: every
node asked in parallel with its own recorded repmgr.conf, repmgr 5's symbols
and exit codes, a down node reported instead of waited for."""

import os
import signal

import pytest

from pylib.conf import ssh_extra

pytestmark = pytest.mark.ssh


@pytest.fixture
def ssh_settings(harness, sshd):
    # the path each node recorded at registration is the one used remotely
    return ssh_extra(harness, sshd, remote_config_file=False)


def rows(stdout):
    """{name: [symbol per column]} from the table."""
    out = {}
    for line in stdout.splitlines()[2:]:
        cells = [c.strip() for c in line.split("|")]
        out[cells[0]] = cells[2:]
    return out


def test_all_up(harness, ssh_trio):
    n1, _, n3 = ssh_trio
    r = harness.repmgr("cluster", "matrix", conf=n1.conf, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].split("|")[1].strip() == "ID"
    assert rows(r.stdout) == {f"node{i}": ["*", "*", "*"] for i in (1, 2, 3)}

    r = harness.repmgr("cluster", "matrix", "--csv", conf=n3.conf, timeout=120)
    assert r.returncode == 0, r.stderr
    assert sorted(r.stdout.split()) == sorted(f"{a},{b},0" for a in (1, 2, 3) for b in (1, 2, 3))

    r = harness.repmgr("cluster", "crosscheck", conf=n1.conf, timeout=120)
    assert r.returncode == 0, r.stderr
    assert rows(r.stdout) == {f"node{i}": ["*", "*", "*"] for i in (1, 2, 3)}

    # repmgr 5's cluster show --csv, which matrix reads on every node
    r = harness.repmgr("cluster", "show", "--csv", "--terse", conf=n3.conf)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["1,0,0", "2,0,1", "3,0,1"]


def test_node_down(harness, ssh_trio):
    n1, n2, n3 = ssh_trio
    n3.stop()
    r = harness.repmgr("cluster", "matrix", conf=n1.conf, timeout=120)
    assert r.returncode == 25, r.stderr
    assert rows(r.stdout) == {"node1": ["*", "*", "x"], "node2": ["*", "*", "x"],
                              "node3": ["?", "?", "?"]}
    assert 'node "node3" (ID: 3): not asked' in r.stderr

    r = harness.repmgr("cluster", "show", "--csv", "--terse", conf=n2.conf)
    assert r.returncode == 25 and r.stdout.split() == ["1,0,0", "2,0,1", "3,-1,-1"]

    # crosscheck asks node3 too: its repmgr cannot read the metadata there
    r = harness.repmgr("cluster", "crosscheck", conf=n2.conf, timeout=120)
    assert r.returncode == 25, r.stderr
    assert rows(r.stdout) == {"node1": ["*", "*", "x"], "node2": ["*", "*", "x"],
                              "node3": ["?", "?", "?"]}
    assert "node3" in r.stderr


def test_ssh_failure_reported_and_crosscheck_fills_the_gaps(harness, ssh_settings, ssh_trio):
    n1, n2, _ = ssh_trio
    extra = dict(ssh_settings)
    extra["ssh_options"] = "'-p 1 -o BatchMode=yes -o ConnectTimeout=3'"
    n2.write_repmgr_conf(2, extra=extra)

    # node2 cannot ssh anywhere: only its own row is known, and it says why
    r = harness.repmgr("cluster", "matrix", conf=n2.conf, timeout=120)
    assert r.returncode == 12, r.stderr
    assert rows(r.stdout) == {"node1": ["?", "?", "?"], "node2": ["*", "*", "*"],
                              "node3": ["?", "?", "?"]}
    assert "ssh failed" in r.stderr

    # node1 can: node2's partial view and node3's whole one combine
    r = harness.repmgr("cluster", "crosscheck", conf=n1.conf, timeout=120)
    assert r.returncode == 0, r.stderr
    assert rows(r.stdout) == {f"node{i}": ["*", "*", "*"] for i in (1, 2, 3)}


def test_host_that_never_answers_is_reported_not_waited_for(harness, sshd, ssh_trio):
    n1 = ssh_trio[0]
    # sshd frozen: connections are accepted by the kernel but never greeted,
    # as with a hung host; ssh_timeout (900 s by default) would wait it out
    os.kill(sshd.proc.pid, signal.SIGSTOP)
    try:
        # (the 120 s bound only stops a hung run: matrix must answer by itself)
        r = harness.repmgr("cluster", "matrix", conf=n1.conf, timeout=120)
    finally:
        os.kill(sshd.proc.pid, signal.SIGCONT)
    assert r.returncode == 12, r.stderr
    assert rows(r.stdout) == {"node1": ["*", "*", "*"], "node2": ["?", "?", "?"],
                              "node3": ["?", "?", "?"]}
    assert "ssh failed" in r.stderr
