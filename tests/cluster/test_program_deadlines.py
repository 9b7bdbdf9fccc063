"""The programs repmgr runs itself have deadlines: a pg_basebackup, pg_rewind,
rsync or pg_ctl that hangs (a stuck source, a stuck file system) is killed
with its whole process group at pg_basebackup_timeout / pg_rewind_timeout /
rsync_timeout / pg_ctl_timeout (plus pg_ctl's own -t wait), and repmgr fails
with the action's exit code and a message that says what timed out, after
how long, which setting to raise and what is left. An interrupted repmgr
ends the command it runs.

The hang is a fake program in a pg_bindir whose other programs are the real
ones: a shell that starts a child and waits, so both must end."""

import os
import signal
import subprocess
import time

import pytest

from pylib.clone_nodes import new_node, registered_primary
from pylib.harness import PG_BIN, as_user_argv, run_as_user
from pylib.procs import pids_by_cmdline
from pylib.wait import wait_until

SLEEP = "3131"  # seconds the fake sleeps; also its mark in /proc/*/cmdline


def write_hanging(path):
    """A program at `path` that starts a child and waits: both must be ended."""
    with open(path, "w") as f:
        f.write(f"#!/bin/sh\nsleep {SLEEP} &\nsleep {SLEEP}\nwait\n")
    os.chmod(path, 0o755)


def hung_bindir(harness, program):
    """A pg_bindir where `program` hangs and everything else is PostgreSQL's."""
    bindir = os.path.join(harness.base, f"bin-hung-{program}")
    os.makedirs(bindir)
    for name in os.listdir(PG_BIN):
        if name != program:
            os.symlink(os.path.join(PG_BIN, name), os.path.join(bindir, name))
    write_hanging(os.path.join(bindir, program))
    os.chmod(bindir, 0o755)
    return bindir


def hung_program(harness, name):
    """A directory holding only a hanging `name`, to put first in PATH."""
    d = os.path.join(harness.base, f"path-hung-{name}")
    os.makedirs(d)
    write_hanging(os.path.join(d, name))
    os.chmod(d, 0o755)
    return d


def assert_cut(r, took, what, seconds, setting, exit_code):
    """repmgr failed with `exit_code` because `what` hung: the message says it
    was killed at `setting`, which setting to raise, and nothing of it is left."""
    assert r.returncode == exit_code, r.stderr
    assert (f"{what} did not finish within {seconds} seconds ({setting}) and was killed with its "
            "process group") in r.stderr, r.stderr
    assert f"raise {setting} in repmgr.conf" in r.stderr
    assert took < 30, took
    assert not sleepers(), f"the fake {what}'s child survived"


def sleepers():
    mark = b"sleep\0" + SLEEP.encode() + b"\0"
    return pids_by_cmdline(lambda cmdline: cmdline == mark)


def kill_sleepers():
    for pid in sleepers():
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_hung_pg_basebackup_is_cut_at_its_deadline(harness):
    primary = registered_primary(harness)
    bindir = hung_bindir(harness, "pg_basebackup")
    node = new_node(harness, "node2", 2,
                    extra={"pg_bindir": f"'{bindir}'", "pg_basebackup_timeout": "3"})
    try:
        start = time.monotonic()
        r = harness.repmgr("-h", "127.0.0.1", "-p", str(primary.port), "-U", "repmgr",
                           "-d", "repmgr", "-D", node.datadir, "standby", "clone",
                           conf=node.conf, timeout=60)
        took = time.monotonic() - start
        assert_cut(r, took, "pg_basebackup", 3, "pg_basebackup_timeout", 14)  # ERR_BAD_BASEBACKUP
        assert f'the partial copy in "{node.datadir}" is removed' in r.stderr
        assert not os.path.exists(os.path.join(node.datadir, "PG_VERSION"))
    finally:
        kill_sleepers()


def test_hung_pg_ctl_is_cut_after_its_wait_and_margin(harness):
    primary = harness.primary("node1")
    bindir = hung_bindir(harness, "pg_ctl")
    primary.write_repmgr_conf(1, extra={"pg_bindir": f"'{bindir}'", "pg_ctl_timeout": "2",
                                        "shutdown_check_timeout": "2"})
    try:
        start = time.monotonic()
        r = harness.repmgr("node", "service", "--action=stop", conf=primary.conf, timeout=60)
        took = time.monotonic() - start
        assert r.returncode == 5, r.stderr  # node service's failure: ERR_LOCAL_COMMAND
        # the deadline is pg_ctl's own -t wait (shutdown_check_timeout) + pg_ctl_timeout
        assert ('"pg_ctl stop" did not finish within 4 seconds (pg_ctl_timeout) and was killed '
                "with its process group") in r.stderr, r.stderr
        assert "raise pg_ctl_timeout in repmgr.conf" in r.stderr
        assert "may still be in the middle of its stop" in r.stderr
        assert took < 30, took
        assert not sleepers(), "the fake pg_ctl's child survived"
        assert primary.running()  # the fake never touched the server
    finally:
        kill_sleepers()


def test_hung_pg_rewind_is_cut_at_its_deadline(harness, registered_pair):
    primary, standby = registered_pair
    primary.sql("CREATE TABLE t (v text)")
    wait_until(lambda: standby.sql_one("SELECT count(*) FROM pg_class WHERE relname = 't'") == 1,
               what="the standby to replay the table")
    # Diverged on purpose, so that the rejoin must rewind.
    r = harness.repmgr("standby", "promote", "-F", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    primary.sql("INSERT INTO t VALUES ('lost')")
    primary.stop("fast")
    bindir = hung_bindir(harness, "pg_rewind")
    primary.write_repmgr_conf(1, extra={"pg_bindir": f"'{bindir}'", "pg_rewind_timeout": "3"})
    try:
        start = time.monotonic()
        r = harness.repmgr("node", "rejoin", "-d", standby.conninfo(), "--force-rewind",
                           conf=primary.conf, timeout=60)
        took = time.monotonic() - start
        assert_cut(r, took, "pg_rewind", 3, "pg_rewind_timeout", 24)  # ERR_REJOIN_FAIL
        assert "may be partly rewound and must not be started" in r.stderr
        assert not primary.running()
        # The node keeps its own configuration files, whatever pg_rewind did.
        with open(os.path.join(primary.datadir, "postgresql.conf")) as f:
            assert f"port = {primary.port}" in f.read()
    finally:
        kill_sleepers()


@pytest.mark.ssh
def test_hung_rsync_is_cut_at_its_deadline(harness, sshd):
    primary = registered_primary(harness)
    node = new_node(harness, "node2", 2, extra={"ssh_options": f"'{sshd.ssh_options()}'",
                                                "rsync_timeout": "3"})
    # Only this repmgr sees the hanging rsync (the ssh check on the source runs
    # `command -v rsync` there, with the real one).
    path = hung_program(harness, "rsync") + ":" + os.environ.get("PATH", "/usr/bin:/bin")
    try:
        start = time.monotonic()
        r = run_as_user([os.path.join(harness.prefix, "bin", "repmgr"), "-f", node.conf,
                         *primary.conn_args(), "-D", node.datadir, "-r", "-c", "standby", "clone"],
                        check=False, env={"PATH": path}, timeout=60)
        took = time.monotonic() - start
        assert_cut(r, took, "rsync of the data directory", 3, "rsync_timeout", 2)  # ERR_BAD_RSYNC
        assert "the clone is abandoned: its partial copy is removed" in r.stderr
        assert not os.path.exists(os.path.join(node.datadir, "PG_VERSION"))
        # The source ended its backup: a new clone could start one at once.
        assert primary.sql_one("SELECT count(*) FROM pg_stat_progress_basebackup") == 0
    finally:
        kill_sleepers()


@pytest.mark.parametrize("signo", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_repmgr_ends_the_command_it_runs(harness, signo):
    """A command with a deadline runs in its own process group, which Ctrl-C
    at the terminal does not reach: repmgr ends that group itself before it
    dies of the signal."""
    primary = registered_primary(harness)
    bindir = hung_bindir(harness, "pg_basebackup")
    node = new_node(harness, "node2", 2,
                    extra={"pg_bindir": f"'{bindir}'", "pg_basebackup_timeout": "300"})
    repmgr = os.path.join(harness.prefix, "bin", "repmgr")
    cmd = as_user_argv([repmgr, "-f", node.conf, *primary.conn_args(), "-D", node.datadir,
                        "standby", "clone"])
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while len(sleepers()) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(sleepers()) == 2, "the fake pg_basebackup did not start"
        conf = node.conf.encode()
        ours = pids_by_cmdline(lambda c: c.startswith(repmgr.encode() + b"\0") and conf in c)
        assert len(ours) == 1, ours
        os.kill(ours[0], signo)
        proc.wait(timeout=20)
        deadline = time.monotonic() + 10
        while sleepers() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not sleepers(), "the interrupted repmgr left its pg_basebackup running"
    finally:
        if proc.poll() is None:
            proc.kill()
        kill_sleepers()
