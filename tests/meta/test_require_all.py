"""REPMGR_TEST_REQUIRE_ALL=1 (scripts/test as root) turns every skip into a
failure (tests/pylib/require_all.py): a root-only suite that could not run
must not pass CI."""

import os
import subprocess
import sys
import textwrap

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SAMPLE = textwrap.dedent("""
    import pytest

    def test_runs():
        pass

    @pytest.mark.skipif(True, reason="the demo runs servers as postgres via runuser")
    def test_marked():
        pass

    def test_skips_itself():
        pytest.skip("the fault suite needs root for network namespaces")

    @pytest.fixture
    def sshd():
        pytest.skip("a private sshd needs root to switch users")

    def test_fixture_skips(sshd):
        pass
    """)


def run_sample(tmp_path, require):
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    env = dict(os.environ, PYTHONPATH=TESTS)
    env.pop("REPMGR_TEST_REQUIRE_ALL", None)
    if require:
        env["REPMGR_TEST_REQUIRE_ALL"] = "1"
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-p", "pylib.require_all", str(tmp_path)],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)


def test_skips_pass_without_the_setting(tmp_path):
    r = run_sample(tmp_path, require=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 passed, 3 skipped" in r.stdout


def test_every_skip_fails_with_the_setting(tmp_path):
    r = run_sample(tmp_path, require=True)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "1 failed, 1 passed, 2 errors" in r.stdout
    for reason in ("runuser", "network namespaces", "private sshd"):
        assert reason in r.stdout
    assert "REPMGR_TEST_REQUIRE_ALL=1" in r.stdout


def test_scripts_test_sets_it_as_root():
    with open(os.path.join(TESTS, "..", "scripts", "test")) as f:
        script = f.read()
    assert 'if [ "$(id -u)" -eq 0 ]; then export REPMGR_TEST_REQUIRE_ALL=1; fi' in script


def test_configure_requires_pytest():
    with open(os.path.join(TESTS, "CMakeLists.txt")) as f:
        assert "find_program(PYTEST NAMES pytest-3 pytest REQUIRED)" in f.read()
