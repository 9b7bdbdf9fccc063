"""Fixtures of the cluster suite (those shared with the fault suite are in
tests/conftest.py)."""

import os

import pytest

from pylib.conf import ssh_extra
from pylib.harness import Harness


@pytest.fixture
def harness(prefix, template_cache):
    h = Harness(prefix, template_cache)
    yield h
    h.teardown()


@pytest.fixture
def registered_pair(harness):
    """A registered primary (node1) and a registered standby (node2)."""
    primary = harness.primary("node1")
    primary.write_repmgr_conf(1)
    r = harness.repmgr("primary", "register", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    standby = harness.standby_of(primary, "node2")
    standby.write_repmgr_conf(2)
    r = harness.repmgr("standby", "register", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    return primary, standby


@pytest.fixture
def trio(harness, registered_pair):
    """node1 primary, node2 and node3 registered standbys of it."""
    primary, s1 = registered_pair
    s2 = harness.standby_of(primary, "node3")
    s2.write_repmgr_conf(3)
    r = harness.repmgr("standby", "register", conf=s2.conf)
    assert r.returncode == 0, r.stderr
    return primary, s1, s2


@pytest.fixture(scope="session")
def sshd():
    """A private sshd on 127.0.0.1 accepting key login for the postgres user."""
    if os.geteuid() != 0:
        pytest.skip("a private sshd needs root to switch users")
    from pylib.sshd import Sshd
    s = Sshd().start()
    yield s
    s.stop()


@pytest.fixture
def ssh_settings(harness, sshd):
    """The ssh settings of ssh_trio's repmgr.conf files (remote_config_file
    included); a module overrides this fixture to use other ones."""
    return ssh_extra(harness, sshd)


@pytest.fixture
def ssh_trio(harness, ssh_settings):
    """node1 primary, node2 and node3 standbys; every repmgr.conf set up for
    ssh with `ssh_settings`."""
    extra = ssh_settings
    primary = harness.primary("node1")
    primary.write_repmgr_conf(1, extra=extra)
    assert harness.repmgr("primary", "register", conf=primary.conf).returncode == 0
    standbys = []
    for node_id, name in ((2, "node2"), (3, "node3")):
        s = harness.standby_of(primary, name)
        s.write_repmgr_conf(node_id, extra=extra)
        r = harness.repmgr("standby", "register", conf=s.conf)
        assert r.returncode == 0, r.stderr
        standbys.append(s)
    return [primary] + standbys
