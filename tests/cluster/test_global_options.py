"""repmgr 5's global options: --version-number, --dump-config, -q/--quiet,
--compact (cluster show), --detail (daemon status), -R/--remote-user (ssh)."""

import re

import pytest

from pylib.conf import ssh_extra


def test_version_number(harness):
    r = harness.repmgr("--version")
    major, minor, patch = map(int, re.search(r"(\d+)\.(\d+)\.(\d+)", r.stdout).groups())
    r = harness.repmgr("--version-number")
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"{major * 10000 + minor * 100 + patch}\n"


def test_dump_config_masks_passwords(harness):
    conf = harness.write_file("dump/repmgr.conf",
                              "node_id=7\nnode_name='n7'\n"
                              "conninfo='host=127.0.0.1 user=repmgr password=s3cret'\n"
                              "data_directory='/srv/n7'\nfailover=automatic\n", mode=0o600)
    r = harness.repmgr("--dump-config", conf=conf)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "node='7'" in lines
    assert "failover='automatic'" in lines
    assert "data_directory='/srv/n7'" in lines
    assert "s3cret" not in r.stdout
    assert any(l.startswith("conninfo=") and "host=127.0.0.1" in l for l in lines)


def test_quiet_compact_detail(harness, registered_pair):
    n1, _ = registered_pair
    r = harness.repmgr("primary", "register", conf=n1.conf)
    assert r.returncode == 0 and "nothing to do" in r.stderr
    r = harness.repmgr("-q", "primary", "register", conf=n1.conf)
    assert r.returncode == 0 and r.stderr == ""
    # errors still show
    r = harness.repmgr("-q", "node", "service", "--action=bogus", conf=n1.conf)
    assert r.returncode == 1 and "ERROR" in r.stderr

    r = harness.repmgr("cluster", "show", conf=n1.conf)
    assert "Connection string" in r.stdout and "host=127.0.0.1" in r.stdout
    r = harness.repmgr("cluster", "show", "--compact", conf=n1.conf)
    assert r.returncode == 0, r.stderr
    assert "Connection string" not in r.stdout and "host=127.0.0.1" not in r.stdout
    assert "node2" in r.stdout

    r = harness.repmgr("daemon", "status", "--detail", conf=n1.conf)
    assert r.returncode == 0, r.stderr
    header = r.stdout.splitlines()[0]
    for column in ("Location", "Priority", "State", "Reason"):
        assert column in header
    r = harness.repmgr("daemon", "status", conf=n1.conf)
    assert "Location" not in r.stdout.splitlines()[0]


@pytest.mark.ssh
def test_remote_user(harness, ssh_trio):
    _, n2, _ = ssh_trio
    r = harness.repmgr("standby", "switchover", "--dry-run", "-R", "postgres", conf=n2.conf)
    assert r.returncode == 0, r.stderr
    r = harness.repmgr("standby", "switchover", "--dry-run", "-R", "nosuchuser", conf=n2.conf)
    assert r.returncode == 12, r.stderr
    assert "ssh" in r.stderr
    r = harness.repmgr("standby", "switchover", "--dry-run", "-R", "-oProxyCommand=x",
                       conf=n2.conf)
    assert r.returncode == 1, r.stderr
