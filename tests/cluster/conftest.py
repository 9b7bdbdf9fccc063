import os
import shutil
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from pylib.harness import Harness, make_template, run_as_user  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than a few seconds")
    config.addinivalue_line("markers", "ssh: needs a private sshd on loopback")
    config.addinivalue_line("markers", "netns: creates network namespaces")


@pytest.fixture(scope="session")
def prefix():
    p = os.environ.get("REPMGR_TEST_PREFIX")
    if not p or not os.path.exists(os.path.join(p, "bin", "repmgr")):
        pytest.exit("REPMGR_TEST_PREFIX must point at an installed build (run scripts/test)", 2)
    return p


@pytest.fixture(scope="session")
def template_cache():
    base = tempfile.mkdtemp(prefix="repmgr-template-")
    os.chmod(base, 0o755)
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    state = {}

    def get():
        if "path" not in state:
            state["path"] = make_template(base)
        return state["path"]

    yield get
    shutil.rmtree(base, ignore_errors=True)


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
