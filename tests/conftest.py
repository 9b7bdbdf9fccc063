"""Fixtures of both suites (tests/cluster, tests/faults): the installed build
under test and the initdb template the servers are copied from."""

import os
import shutil
import tempfile

import pytest

from pylib.harness import make_template

# With REPMGR_TEST_REQUIRE_ALL=1 (scripts/test as root) a skip is a failure.
pytest_plugins = ["pylib.require_all"]


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
