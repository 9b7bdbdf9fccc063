"""Passwords never reach a command line (ps and /proc/<pid>/cmdline show
argv to every user): with password authentication and the password in every
node's conninfo, a background reader of every /proc/*/cmdline never sees it
during clone, switchover (its remote rejoin over ssh) and node rejoin
--force-rewind (pg_rewind). The same with the password in a 0600 passfile
that every conninfo names (passfile=): it reaches pg_basebackup, pg_rewind,
the standbys' primary_conninfo and the remote commands run over ssh."""

import os
import threading

import pytest
from psycopg import sql

from pylib.conf import conf_quote, ssh_extra
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


class Credentials:
    """How every conninfo carries the password: `password=` in it, or
    `passfile=` naming a 0600 file of the OS user."""

    def __init__(self, harness, kind):
        self.kind = kind
        self.passfile = None
        if kind == "passfile":
            self.passfile = os.path.join(harness.base, "repmgr.pgpass")
            with open(self.passfile, "w") as f:
                f.write(f"*:*:*:repmgr:{PASSWORD}\n")
            os.chmod(self.passfile, 0o600)
            harness.chown(self.passfile)

    def words(self):
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


@pytest.mark.parametrize("kind", ["password", "passfile"])
def test_no_password_on_any_command_line(harness, sshd, kind):
    credentials = Credentials(harness, kind)
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
