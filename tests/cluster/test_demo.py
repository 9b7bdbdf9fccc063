"""scripts/demo and scripts/demo stop, end to end, as a new user runs them."""

import os
import subprocess
import tempfile

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

pytestmark = pytest.mark.slow


def postgres_processes_under(path):
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return [l for l in out.splitlines()
            if path in l and ("postgres" in l or "repmgrd" in l or "etcd" in l)]


@pytest.mark.skipif(os.geteuid() != 0, reason="the demo runs servers as postgres via runuser")
@pytest.mark.parametrize("mode", ["witness", "etcd"])
def test_demo_fails_over_and_stops_cleanly(mode):
    parent = tempfile.mkdtemp(prefix="repmgr-demo-test-")
    os.chmod(parent, 0o755)  # the demo's servers run as postgres and must reach their directory
    demo_dir = os.path.join(parent, "demo")
    env = dict(os.environ, DEMO_DIR=demo_dir)
    if os.environ.get("REPMGR_TEST_BUILD_DIR"):
        env["BUILD_DIR"] = os.environ["REPMGR_TEST_BUILD_DIR"]
    try:
        args = [os.path.join(ROOT, "scripts", "demo")] + (["--etcd"] if mode == "etcd" else [])
        r = subprocess.run(args, env=env, capture_output=True, text=True, timeout=900)
        out = r.stdout + r.stderr
        assert r.returncode == 0, out[-4000:]
        assert "master node correctly registered" in out
        assert out.count("standby clone (using pg_basebackup) complete") == 2
        if mode == "etcd":
            assert "witness node correctly registered" not in out
            assert "OK (3 of 3 etcd endpoints answer; node 1 holds the leader key" in out, out
        else:
            assert "witness node correctly registered" in out
        assert "FAILOVER: node" in out, out
        assert "repmgrd_failover_promote" in out and "repmgrd_failover_follow" in out
        assert "scripts/demo stop" in out
    finally:
        s = subprocess.run([os.path.join(ROOT, "scripts", "demo"), "stop"], env=env,
                           capture_output=True, text=True, timeout=120)
    assert s.returncode == 0, s.stdout + s.stderr
    assert not os.path.exists(demo_dir)
    assert postgres_processes_under(demo_dir) == []
