"""Passwords never reach a command line (ps and /proc/<pid>/cmdline show
argv to every user): with password authentication and the password in every
node's conninfo, a background reader of every /proc/*/cmdline never sees it
during clone, switchover (its remote rejoin over ssh) and node rejoin
--force-rewind (pg_rewind). The same with the password in a 0600 passfile
that every conninfo names (passfile=): it reaches pg_basebackup, pg_rewind,
the standbys' primary_conninfo and the remote commands run over ssh. And
with the password only in the OS user's ~/.pgpass, where most DBAs keep it:
no conninfo names it, libpq finds it for every tool, server and ssh session."""

import os
import pwd
import threading

import pytest
from psycopg import sql

from pylib.conf import conf_quote, ssh_extra
from pylib.harness import RUN_AS
from pylib.queries import streams_from
from pylib.wait import wait_until

pytestmark = pytest.mark.ssh

PASSWORD = "Zq7-secret-4711-pw"

HBA = """local all all trust
local replication all trust
host all repmgr 127.0.0.1/32 scram-sha-256
host replication repmgr 127.0.0.1/32 scram-sha-256
host all all 127.0.0.1/32 trust
host replication all 127.0.0.1/32 trust
"""


def plain(node):
    return f"host=127.0.0.1 port={node.port} user=repmgr dbname=repmgr"


def home_pgpass_paths():
    """~/.pgpass as the tools see it: the harness runs them with HOME=/tmp;
    sshd gives the remote commands the OS user's own home."""
    home = pwd.getpwnam(RUN_AS).pw_dir if os.geteuid() == 0 else os.path.expanduser("~")
    return sorted({"/tmp/.pgpass", os.path.join(home, ".pgpass")})


class Credentials:
    """How every conninfo carries the password: `password=` in it,
    `passfile=` naming a 0600 file of the OS user, or nothing at all (the
    password in ~/.pgpass; any file already there is put back afterwards)."""

    def __init__(self, harness, kind):
        self.kind = kind
        self.passfile = None
        self.saved = {}
        line = f"*:*:*:repmgr:{PASSWORD}\n"
        if kind == "passfile":
            self.passfile = os.path.join(harness.base, "repmgr.pgpass")
            self._write(harness, self.passfile, line)
        elif kind == "home_pgpass":
            for path in home_pgpass_paths():
                self.saved[path] = None
                if os.path.exists(path):
                    with open(path) as f:
                        self.saved[path] = f.read()
                self._write(harness, path, line)

    @staticmethod
    def _write(harness, path, text):
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o600)
        harness.chown(path)

    def restore(self):
        for path, text in self.saved.items():
            if text is None:
                os.remove(path)
            else:
                with open(path, "w") as f:
                    f.write(text)

    def words(self):
        if self.kind == "home_pgpass":
            return ""
        return f"password={PASSWORD}" if self.passfile is None else f"passfile={self.passfile}"

    def conninfo(self, node):
        return f"{plain(node)} {self.words()}"


class CmdlineSpy:
    """Reads every /proc/*/cmdline in a loop; `hits` are the command lines
    holding the password, except the command a test itself started with the
    password in it (`allow`: its argv tail; runuser, env and repmgr carry it)."""

    def __init__(self):
        self.hits = []
        self.sweeps = 0
        self.allow = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        needle = PASSWORD.encode()
        me = str(os.getpid())
        while not self._stop.is_set():
            for pid in os.listdir("/proc"):
                if not pid.isdigit() or pid == me:
                    continue
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        raw = f.read()
                except OSError:
                    continue
                if needle not in raw:
                    continue
                argv = [a.decode(errors="replace") for a in raw.split(b"\0") if a]
                allow = self.allow
                if allow and argv[-len(allow):] == allow:
                    continue
                self.hits.append(argv)
            self.sweeps += 1

    def stop(self):
        self._stop.set()
        self._thread.join(10)


def configure(harness, sshd, node, node_id, credentials):
    os.makedirs(node.confdir, exist_ok=True)
    harness.chown(node.confdir)
    extra = ssh_extra(harness, sshd)
    extra["conninfo"] = conf_quote(credentials.conninfo(node))
    node.write_repmgr_conf(node_id, extra=extra)


@pytest.mark.parametrize("kind", ["password", "passfile", "home_pgpass"])
def test_no_password_on_any_command_line(harness, sshd, kind):
    credentials = Credentials(harness, kind)
    try:
        run_clone_switchover_rejoin(harness, sshd, kind, credentials)
    finally:
        credentials.restore()


def run_clone_switchover_rejoin(harness, sshd, kind, credentials):
    n1 = harness.primary("node1")
    n1.sql(sql.SQL("ALTER USER repmgr PASSWORD {}").format(sql.Literal(PASSWORD)))
    with open(os.path.join(n1.datadir, "pg_hba.conf"), "w") as f:
        f.write(HBA)
    n1.sql("SELECT pg_reload_conf()")
    configure(harness, sshd, n1, 1, credentials)
    r = harness.repmgr("primary", "register", conf=n1.conf)
    assert r.returncode == 0, r.stderr

    spy = CmdlineSpy()
    try:
        nodes = {}
        for node_id in (2, 3):
            node = harness.node(f"node{node_id}")
            configure(harness, sshd, node, node_id, credentials)
            args = ["-h", "127.0.0.1", "-p", str(n1.port), "-U", "repmgr",
                    "-d", f"dbname=repmgr {credentials.words()}", "-D", node.datadir,
                    "standby", "clone"]
            if kind == "password":
                spy.allow = [os.path.join(harness.prefix, "bin", "repmgr"), "-f", node.conf] + args
            r = harness.repmgr(*args, conf=node.conf)
            spy.allow = None
            assert r.returncode == 0, r.stderr
            node.set_port()
            node.start()
            assert harness.repmgr("standby", "register", conf=node.conf).returncode == 0
            wait_until(lambda n=node: streams_from(n1, n.name), what=f"{node.name} streaming")
            nodes[node_id] = node
        n2, n3 = nodes[2], nodes[3]
        assert not spy.hits, spy.hits
        if credentials.passfile:
            # the standbys stream with the passfile (and nothing else holds the password)
            with open(os.path.join(n2.datadir, "postgresql.auto.conf")) as f:
                auto = f.read()
            assert f"passfile={credentials.passfile}" in auto or \
                f"passfile=''{credentials.passfile}''" in auto, auto
            assert PASSWORD not in auto
        if kind == "home_pgpass":
            # the walreceivers found the password in ~/.pgpass too
            with open(os.path.join(n2.datadir, "postgresql.auto.conf")) as f:
                auto = f.read()
            assert PASSWORD not in auto and "passfile" not in auto, auto

        # switchover: node1 is stopped, rewound and rejoined over ssh
        r = harness.repmgr("standby", "switchover", "--siblings-follow", conf=n2.conf)
        assert r.returncode == 0, r.stderr + r.stdout
        assert not n2.in_recovery() and n1.in_recovery()
        wait_until(lambda: streams_from(n2, "node1"), what="node1 streaming from node2")
        wait_until(lambda: streams_from(n2, "node3"), what="node3 streaming from node2")
        assert not spy.hits, spy.hits

        # node rejoin --force-rewind (pg_rewind) of node2 after a split brain
        # made on purpose; -d has no password: node2's own conninfo has it
        n2.sql("CREATE TABLE t (v text)")
        wait_until(lambda: n3.sql_one("SELECT count(*) FROM pg_class WHERE relname = 't'") == 1)
        r = harness.repmgr("standby", "promote", "-F", conf=n3.conf)
        assert r.returncode == 0, r.stderr
        n2.sql("INSERT INTO t VALUES ('lost')")
        n2.stop("fast")
        r = harness.repmgr("node", "rejoin", "-d", plain(n3), "--force-rewind", conf=n2.conf)
        assert r.returncode == 0, r.stderr
        assert "pg_rewind" in r.stderr
        wait_until(lambda: streams_from(n3, "node2"), what="node2 streaming from node3")
        assert n2.in_recovery()
    finally:
        spy.stop()
    assert spy.sweeps > 100, spy.sweeps  # the reader really read, many times
    assert not spy.hits, spy.hits


def test_passfile_libpq_would_ignore_is_named(harness):
    """A passfile with group or world access is skipped by libpq (its warning
    goes to a stderr that repmgrd and captured tools hide): repmgr names the
    file and the fix instead of leaving only "no password supplied"."""
    n1 = harness.primary("node1")
    n1.sql(sql.SQL("ALTER USER repmgr PASSWORD {}").format(sql.Literal(PASSWORD)))
    with open(os.path.join(n1.datadir, "pg_hba.conf"), "w") as f:
        f.write(HBA)
    n1.sql("SELECT pg_reload_conf()")
    credentials = Credentials(harness, "passfile")
    os.chmod(credentials.passfile, 0o644)
    n1.write_repmgr_conf(1, extra={"conninfo": conf_quote(credentials.conninfo(n1))})
    r = harness.repmgr("primary", "register", conf=n1.conf)
    assert r.returncode != 0
    assert (f'passfile "{credentials.passfile}" in conninfo has group or world access '
            "(mode 0644)") in r.stderr, r.stderr
    assert f'chmod 0600 "{credentials.passfile}"' in r.stderr

    os.chmod(credentials.passfile, 0o600)
    r = harness.repmgr("primary", "register", conf=n1.conf)
    assert r.returncode == 0, r.stderr
    assert "group or world access" not in r.stderr
