"""PgBouncer follows the primary (packaging/pgbouncer/repmgr-pgbouncer, issue
20): Debian's pgbouncer in front of the cluster, clients writing through it
all the time. After a kill -9 failover the handler (the event notification
command) re-points PgBouncer at the new primary and the clients' writes go on;
across `repmgr-pgbouncer switchover` (PAUSE, switchover, RESUME) the clients
see no error and lose no row."""

import os
import shutil
import signal
import subprocess
import threading
import time

import psycopg
import pytest

from pylib.clusters import WritableSampler, make_cluster
from pylib.conf import ssh_extra
from pylib.harness import as_user_argv, free_port, run_as_user
from pylib.queries import writable
from pylib.wait import wait_until

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


class Bouncer:
    """A PgBouncer run as the unprivileged user, in transaction pooling, whose
    [databases] section is the file repmgr-pgbouncer rewrites."""

    def __init__(self, harness):
        self.harness = harness
        self.port = free_port()
        self.dir = harness.path("pgbouncer")
        os.makedirs(self.dir, exist_ok=True)
        harness.chown(self.dir)
        self.databases = os.path.join(self.dir, "repmgr-databases.ini")
        self.admin = f"host=127.0.0.1 port={self.port} dbname=pgbouncer user=postgres"
        harness.write_file("pgbouncer/users.txt", '"repmgr" ""\n"postgres" ""\n')
        # server_login_retry: after a failed server login PgBouncer waits this
        # long before the next try (15 s by default): the dead primary's.
        self.ini = harness.write_file("pgbouncer/pgbouncer.ini", f"""[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {self.dir}/users.txt
admin_users = postgres
pool_mode = transaction
server_login_retry = 1
server_connect_timeout = 2
logfile = {self.dir}/pgbouncer.log
pidfile = {self.dir}/pgbouncer.pid
%include {self.databases}
""")
        self.proc = None

    def conf_file(self):
        """repmgr-pgbouncer's configuration for this PgBouncer."""
        return self.harness.write_file("pgbouncer/repmgr-pgbouncer.conf", f"""# test
database = appdb = host={{host}} port={{port}} dbname=repmgr user=repmgr
pgbouncer = {self.databases} | {self.admin}
timeout = 10
""")

    def start(self):
        if not os.path.exists(self.databases):
            self.harness.write_file("pgbouncer/repmgr-databases.ini", "[databases]\n")
        # Its own session: stop() ends runuser and pgbouncer together (killing
        # only runuser would leave pgbouncer running after the test).
        self.proc = subprocess.Popen(as_user_argv([PGBOUNCER, self.ini]),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        wait_until(lambda: self.answers(), timeout=30, what="pgbouncer to listen")
        return self

    def answers(self):
        try:
            with psycopg.connect(self.admin, autocommit=True, connect_timeout=2) as c:
                c.execute("SHOW VERSION")
            return True
        except psycopg.Error:
            return False

    def stop(self):
        if self.proc:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(10)

    def log(self):
        with open(os.path.join(self.dir, "pgbouncer.log")) as f:
            return f.read()


class Writer(threading.Thread):
    """Inserts 1, 2, 3, ... through PgBouncer every 20 ms, reconnecting after
    an error; `acked` are the values whose commit returned, `server_port` the
    PostgreSQL port that committed each (PgBouncer passes the session through,
    so inet_server_port() names the real server), `errors` the failed
    attempts."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.conninfo = f"host=127.0.0.1 port={port} dbname=appdb user=repmgr connect_timeout=2"
        self.acked = []
        self.server_port = {}
        self.errors = []
        self._done = threading.Event()

    def run(self):
        conn = None
        value = 0
        while not self._done.is_set():
            value += 1
            try:
                if conn is None:
                    # No prepared statements: PgBouncer pools transactions.
                    conn = psycopg.connect(self.conninfo, autocommit=True, prepare_threshold=None)
                (port,) = conn.execute("INSERT INTO via_bouncer (v) VALUES (%s) "
                                       "RETURNING inet_server_port()", (value,)).fetchone()
                self.server_port[value] = port
                self.acked.append(value)
            except psycopg.Error as e:
                self.errors.append((time.monotonic(), str(e).strip().splitlines()[0]))
                if conn is not None:
                    conn.close()
                conn = None
            self._done.wait(0.02)
        if conn is not None:
            conn.close()

    def acked_by_other_than(self, port):
        return sum(1 for v in list(self.acked) if self.server_port[v] != port)

    def stop(self):
        self._done.set()
        self.join(30)


def rows(node):
    return {v for (v,) in node.sql("SELECT v FROM via_bouncer", dbname="repmgr")}


def handler(harness, bouncer):
    """The event notification command that runs repmgr-pgbouncer."""
    script = os.path.join(harness.prefix, "bin", "repmgr-pgbouncer")
    return (f"'REPMGR_PGBOUNCER_CONF={bouncer.conf_file()} {script} event %e %s %n \"%c\"'")


def point_at(harness, bouncer, node, node_id):
    """The first pointing, by hand, as docs/operations.md says."""
    script = os.path.join(harness.prefix, "bin", "repmgr-pgbouncer")
    r = run_as_user([script, "event", "standby_promote", "1", str(node_id),
                     f"host=127.0.0.1 port={node.port} user=repmgr dbname=repmgr"],
                    check=False, env={"REPMGR_PGBOUNCER_CONF": bouncer.conf_file()})
    assert r.returncode == 0, r.stderr
    assert f"now sends appdb to node {node_id} (127.0.0.1:{node.port})" in r.stderr, r.stderr


@pytest.fixture
def bouncer(harness):
    b = Bouncer(harness)
    yield b
    b.stop()


@pytest.mark.slow
def test_clients_through_pgbouncer_keep_writing_across_a_kill9_failover(harness, bouncer):
    primary, (s2, s3), _, daemons = make_cluster(
        harness, event_notification_command=handler(harness, bouncer))
    primary.sql("CREATE TABLE via_bouncer (v int PRIMARY KEY)", dbname="repmgr")
    bouncer.start()
    point_at(harness, bouncer, primary, 1)
    writer = Writer(bouncer.port)
    writer.start()
    try:
        wait_until(lambda: len(writer.acked) >= 20, timeout=30, what="writes through PgBouncer")
        assert not writer.errors, writer.errors
        primary.kill9()
        killed = time.monotonic()
        wait_until(lambda: writer.acked_by_other_than(primary.port) >= 20, timeout=90,
                   interval=0.5, what="writes through PgBouncer after the failover")
        resumed = time.monotonic() - killed
    finally:
        writer.stop()
    winner = next(s for s in (s2, s3) if writable(s))
    winner_id = int(winner.name[-1])
    with open(bouncer.databases) as f:
        text = f.read()
    assert f"appdb = host=127.0.0.1 port={winner.port} dbname=repmgr user=repmgr" in text, text
    present = rows(winner)
    # Which server acknowledged each write, in order. A commit the old primary
    # acknowledged just before the kill may be lost (asynchronous replication);
    # where the split falls in time is a race, so the check is by server: once
    # the new primary acknowledged a write the old one never did again, and
    # every write the new primary acknowledged is there.
    ports = [writer.server_port[v] for v in writer.acked]
    first_new = ports.index(winner.port)
    assert set(ports[:first_new]) == {primary.port}, ports
    assert set(ports[first_new:]) == {winner.port}, ports
    by_winner = set(writer.acked[first_new:])
    assert len(by_winner) >= 20, len(by_winner)
    assert by_winner - present == set(), sorted(by_winner - present)[:10]
    lost = set(writer.acked[:first_new]) - present
    print(f"kill -9 through PgBouncer: writes resumed after {resumed:.1f} s; client errors "
          f"{len(writer.errors)}; acknowledged rows lost {len(lost)} of {first_new} "
          f"(asynchronous replication); new primary node {winner_id}")


@pytest.mark.slow
@pytest.mark.ssh
def test_repmgr_pgbouncer_switchover_pauses_clients_without_errors_or_loss(harness, bouncer,
                                                                            sshd):
    primary, (s2, s3), _, _ = make_cluster(
        harness, event_notification_command=handler(harness, bouncer), **ssh_extra(harness, sshd))
    primary.sql("CREATE TABLE via_bouncer (v int PRIMARY KEY)", dbname="repmgr")
    bouncer.start()
    point_at(harness, bouncer, primary, 1)
    writer = Writer(bouncer.port)
    sampler = WritableSampler([primary, s2, s3])
    writer.start()
    try:
        wait_until(lambda: len(writer.acked) >= 20, timeout=30, what="writes through PgBouncer")
        script = os.path.join(harness.prefix, "bin", "repmgr-pgbouncer")
        started = time.monotonic()
        r = run_as_user([script, "switchover", "-f", s2.conf, "--siblings-follow"], check=False,
                        env={"REPMGR_PGBOUNCER_CONF": bouncer.conf_file(),
                             "REPMGR": os.path.join(harness.prefix, "bin", "repmgr")},
                        timeout=300)
        took = time.monotonic() - started
        assert r.returncode == 0, r.stdout + r.stderr
        assert "now sends appdb to node 2" in r.stderr, r.stderr
        n = len(writer.acked)
        wait_until(lambda: len(writer.acked) >= n + 20, timeout=30,
                   what="writes through PgBouncer after the switchover")
    finally:
        writer.stop()
        worst = sampler.stop()
    assert worst <= 1, f"two writable primaries seen: {sampler.seen}"
    assert primary.in_recovery() and not s2.in_recovery()
    present = rows(s2)
    lost = set(writer.acked) - present
    assert writer.errors == [], writer.errors[:5]
    assert lost == set(), sorted(lost)[:10]
    print(f"switchover through PgBouncer: {took:.1f} s, {len(writer.acked)} rows acknowledged, "
          f"0 client errors, 0 lost")
