"""cpack -G DEB builds a .deb that holds the binaries, docs, example config and
systemd units; unpacked into a temporary root (never installed system-wide),
its repmgr runs. The example repmgr.conf names every setting and parses."""

import os
import re
import shutil
import subprocess
import tempfile

import pytest

from pylib.harness import free_port, run_as_user

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


@pytest.fixture(scope="module")
def deb():
    build = os.environ.get("REPMGR_TEST_BUILD_DIR")
    if not build or not os.path.exists(os.path.join(build, "CPackConfig.cmake")):
        pytest.skip("REPMGR_TEST_BUILD_DIR must name a configured build (scripts/test sets it)")
    if not shutil.which("cpack") or not shutil.which("dpkg-deb"):
        pytest.skip("cpack and dpkg-deb are needed")
    out = tempfile.mkdtemp(prefix="repmgr-deb-")
    try:
        # -B keeps cpack's staging and the package out of the build directory.
        r = subprocess.run(["cpack", "-G", "DEB", "--config",
                            os.path.join(build, "CPackConfig.cmake"), "-B", out],
                           capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stdout + r.stderr
        debs = [f for f in os.listdir(out) if f.endswith(".deb")]
        assert len(debs) == 1, debs
        yield os.path.join(out, debs[0])
    finally:
        shutil.rmtree(out, ignore_errors=True)


def dpkg(*args):
    return subprocess.run(["dpkg-deb", *args], capture_output=True, text=True, check=True).stdout


def test_deb_contents_and_metadata(deb):
    assert re.match(r"repmgr-cpp_[0-9.]+_[a-z0-9]+\.deb$", os.path.basename(deb))
    listing = dpkg("-c", deb)
    files = {line.split()[-1].lstrip(".") for line in listing.splitlines()}
    for path in ["/usr/bin/repmgr", "/usr/bin/repmgrd",
                 "/usr/lib/systemd/system/repmgrd.service",
                 "/usr/lib/systemd/system/repmgrd@.service",
                 "/usr/share/doc/repmgr-cpp/README.md",
                 "/usr/share/doc/repmgr-cpp/commands.md",
                 "/usr/share/doc/repmgr-cpp/configuration.md",
                 "/usr/share/doc/repmgr-cpp/examples/repmgr.conf.sample",
                 "/usr/share/doc/repmgr-cpp/examples/repmgr-rules.yml",
                 "/usr/share/doc/repmgr-cpp/examples/repmgr-dashboard.json",
                 "/usr/share/doc/repmgr-cpp/copyright",
                 "/usr/share/doc/repmgr-cpp/changelog.gz",
                 "/usr/bin/repmgr-pgbouncer",
                 "/usr/lib/repmgr-cpp/modules/repmgr-http.so",
                 "/usr/share/man/man1/repmgr.1.gz",
                 "/usr/share/man/man1/repmgr-pgbouncer.1.gz",
                 "/usr/share/man/man8/repmgrd.8.gz"]:
        assert path in files, f"{path} missing from the package:\n{listing}"
    assert not any(p.startswith("/etc/") for p in files), "no config is installed, only a sample"

    fields = dpkg("-f", deb)
    assert "Package: repmgr-cpp" in fields
    assert re.search(r"^Depends: .*libpq5", fields, re.M), fields
    assert "Conflicts: repmgr-common" in fields


def test_lintian_finds_no_error_or_warning(deb):
    # Debian's own package checker (policy: copyright, changelog, manual
    # pages, file locations, maintainer field ...). Informational tags
    # (I:) are allowed.
    lintian = shutil.which("lintian")
    assert lintian, "lintian is missing: scripts/install-deps installs it"
    r = subprocess.run([lintian, "--tag-display-limit", "0", deb], capture_output=True,
                       text=True, timeout=900)
    tags = [line for line in r.stdout.splitlines() if line[:2] in ("E:", "W:")]
    assert not tags, "\n".join(tags)
    assert r.returncode == 0, r.stdout + r.stderr


def test_unpacked_package_runs(deb):
    root = tempfile.mkdtemp(prefix="repmgr-debroot-")
    try:
        subprocess.run(["dpkg", "-x", deb, root], check=True)
        os.chmod(root, 0o755)
        for binary in ("repmgr", "repmgrd"):
            r = run_as_user([os.path.join(root, "usr", "bin", binary), "--version"])
            assert r.stdout.startswith(f"{binary} "), r.stdout
        with open(os.path.join(root, "usr/lib/systemd/system/repmgrd.service")) as f:
            unit = f.read()
        for line in ["Type=notify", "ExecStart=/usr/bin/repmgrd -f /etc/repmgr.conf",
                     "ExecReload=/bin/kill -HUP $MAINPID", "Restart=on-failure",
                     "User=postgres"]:
            assert line in unit
        assert re.search(r"^WatchdogSec=\d+", unit, re.M)
        with open(os.path.join(root, "usr/lib/systemd/system/repmgrd@.service")) as f:
            assert "ExecStart=/usr/bin/repmgrd -f /etc/repmgr/%i.conf" in f.read()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_sample_config_names_every_setting_and_parses(harness):
    keys = [line.split()[0] for line in
            harness.repmgr("--help-settings", check=True).stdout.splitlines()[1:]
            if line.startswith("  ")]
    with open(os.path.join(ROOT, "packaging", "repmgr.conf.sample")) as f:
        sample = f.read()
    assert len(keys) > 40
    missing = [k for k in keys if not re.search(rf"^#?{re.escape(k)}=", sample, re.M)]
    assert not missing, f"packaging/repmgr.conf.sample lacks {missing}"

    # The sample as shipped parses without warnings (its conninfo points at a
    # closed loopback port so that nothing is contacted).
    closed = free_port()
    text = re.sub(r"^conninfo=.*$", f"conninfo='host=127.0.0.1 port={closed} user=repmgr "
                  "dbname=repmgr connect_timeout=2'", sample, flags=re.M)
    for line in text.splitlines():  # uncommenting every default must parse too
        m = re.match(r"^#([a-z_]+)=(.*)$", line)
        if m and m.group(2):
            text += f"\n{m.group(1)}={m.group(2)}"
    conf = harness.write_file("sample/repmgr.conf", text + "\n")
    r = harness.repmgr("node", "check", "--role", "--nagios", conf=conf)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "cannot connect to this node's server" in r.stdout
    assert "WARNING" not in r.stderr and "ERROR" not in r.stderr, r.stderr
