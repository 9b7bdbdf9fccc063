"""The seed's source installation: "make USE_PGXS=1 install" at the project
root builds with CMake and installs repmgr and repmgrd next to PostgreSQL's
own programs (pg_config --bindir)."""

import os
import subprocess
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def test_make_use_pgxs_install_puts_the_programs_in_pg_bindir():
    bindir = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                            check=True).stdout.strip()
    destdir = tempfile.mkdtemp(prefix="repmgr-make-install-")
    # The build the suite already made: make only re-checks it, then installs.
    build = os.environ.get("REPMGR_TEST_BUILD_DIR", os.path.join(ROOT, "build"))
    r = subprocess.run(["make", "-C", ROOT, "USE_PGXS=1", "install", f"DESTDIR={destdir}",
                        f"BUILD_DIR={build}"], capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, r.stdout + r.stderr
    for program in ("repmgr", "repmgrd"):
        path = os.path.join(destdir + bindir, program)
        assert os.access(path, os.X_OK), path
        v = subprocess.run([path, "--version"], capture_output=True, text=True)
        assert v.returncode == 0 and v.stdout.strip(), v.stderr
