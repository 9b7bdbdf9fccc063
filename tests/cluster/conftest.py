"""Fixtures of the cluster suite (those shared with the fault suite are in
tests/conftest.py)."""

import os

import pytest

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


@pytest.fixture(scope="session")
def sshd():
    """A private sshd on 127.0.0.1 accepting key login for the postgres user."""
    if os.geteuid() != 0:
        pytest.skip("a private sshd needs root to switch users")
    from pylib.sshd import Sshd
    s = Sshd().start()
    yield s
    s.stop()
