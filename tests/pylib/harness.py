"""Test harness: real PostgreSQL 15 servers on free 127.0.0.1 ports, run as an
unprivileged OS user, plus helpers to run our installed binaries as that user.

Every server a test starts is registered with its Harness and stopped at
teardown, also when the test fails."""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile

import psycopg

from pylib.wait import wait_until

PG_BIN = "/usr/lib/postgresql/15/bin"
RUN_AS = "postgres"


def user_env():
    """The environment our binaries and the PostgreSQL tools run with."""
    return {"PATH": f"{PG_BIN}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp"}


def _as_user_prefix():
    if os.geteuid() == 0:
        return ["runuser", "-u", RUN_AS, "--"]
    return []


def as_user_argv(args, env=None):
    """The argv that runs `args` as the unprivileged user with user_env()
    (plus `env`), for a caller that starts it itself."""
    full_env = user_env()
    if env:
        full_env.update(env)
    return _as_user_prefix() + ["env"] + [f"{k}={v}" for k, v in full_env.items()] + list(args)


def run_as_user(args, check=True, env=None, timeout=300, input=None):
    """Runs a command as the unprivileged user; returns CompletedProcess."""
    cmd = as_user_argv(args, env)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, input=input)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"command failed ({proc.returncode}): {' '.join(args)}\n"
            f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


_used_ports = set()


def free_port():
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _used_ports:
            _used_ports.add(port)
            return port


def signal_all(pids, signo):
    """Sends signo to each of pids that still exists."""
    for p in pids:
        try:
            os.kill(p, signo)
        except ProcessLookupError:
            pass


def thaw(pids):
    """Undoes PgNode.freeze()."""
    signal_all(pids, signal.SIGCONT)


class PgNode:
    """One PostgreSQL server in its own data directory."""

    def __init__(self, harness, name, port=None):
        self.harness = harness
        self.name = name
        self.port = port or free_port()
        self.datadir = os.path.join(harness.base, name, "data")
        self.logfile = os.path.join(harness.base, name, "postgres.log")
        self.confdir = os.path.join(harness.base, name)

    # --- life cycle -------------------------------------------------------
    def init_from_template(self):
        os.makedirs(self.confdir, exist_ok=True)
        self.harness.chown(self.confdir)
        run_as_user(["cp", "-a", self.harness.template_dir(), self.datadir])
        self.set_port()
        return self

    def init_fresh(self):
        """A separate instance, not a copy of the template (e.g. a witness,
        which must not share the cluster's system identifier)."""
        os.makedirs(self.confdir, exist_ok=True)
        self.harness.chown(self.confdir)
        initdb_with_test_settings(self.datadir)
        self.set_port()
        return self

    def set_port(self):
        """Appends this node's port and socket dir (the last setting wins)."""
        with open(os.path.join(self.datadir, "postgresql.conf"), "a") as f:
            f.write(f"\n# test harness\nport = {self.port}\n"
                    f"unix_socket_directories = '{self.harness.socket_dir}'\n")

    def start(self, wait=True):
        args = [f"{PG_BIN}/pg_ctl", "-D", self.datadir, "-l", self.logfile, "start"]
        args.insert(-1, "-w" if wait else "-W")
        run_as_user(args)
        return self

    def stop(self, mode="fast"):
        if self.running():
            run_as_user([f"{PG_BIN}/pg_ctl", "-D", self.datadir, "-m", mode, "-w", "stop"],
                        check=False)

    def pid(self):
        try:
            with open(os.path.join(self.datadir, "postmaster.pid")) as f:
                return int(f.readline().strip())
        except (OSError, ValueError):
            return None

    def running(self):
        pid = self.pid()
        if not pid:
            return False
        try:
            os.kill(pid, 0)
            return True
        except ProcessLookupError:
            return False

    def kill9(self):
        pid = self.pid()
        if pid:
            os.kill(pid, signal.SIGKILL)
            # A postmaster killed with -9 stays a zombie for 1-1.6 s on these
            # machines, and until /proc/<pid> is gone `pg_ctl start` on its data
            # directory fails ("lock file postmaster.pid already exists").
            wait_until(lambda: not os.path.exists(f"/proc/{pid}"), timeout=15,
                       what=f"pid {pid} to vanish")

    def server_pids(self):
        """The postmaster and its children (backends, walsender, ...); empty
        when the server is not running."""
        pm = self.pid()
        if not pm:
            return []
        out = subprocess.run(["pgrep", "-P", str(pm)], capture_output=True, text=True).stdout
        return [pm] + [int(p) for p in out.split()]

    def freeze(self):
        """SIGSTOPs all the server's processes (the kernel still ACKs, so the
        clients' TCP timeouts never fire); returns the pids for thaw()."""
        pids = self.server_pids()
        signal_all(pids, signal.SIGSTOP)
        return pids

    # --- SQL ---------------------------------------------------------------
    def conninfo(self, user="repmgr", dbname="repmgr"):
        return f"host=127.0.0.1 port={self.port} user={user} dbname={dbname}"

    def conn_args(self):
        """repmgr's options that connect to this node (as a clone source, the
        primary of a witness, another node to read the metadata from)."""
        return ["-h", "127.0.0.1", "-p", str(self.port), "-U", "repmgr", "-d", "repmgr"]

    def connect(self, user="postgres", dbname="postgres", autocommit=True, timeout=5):
        return psycopg.connect(self.conninfo(user, dbname), autocommit=autocommit,
                               connect_timeout=timeout)

    def sql(self, query, params=None, user="postgres", dbname="postgres"):
        with self.connect(user, dbname) as conn:
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else None

    def sql_one(self, query, params=None, **kw):
        rows = self.sql(query, params, **kw)
        return rows[0][0] if rows else None

    def in_recovery(self):
        return self.sql_one("SELECT pg_is_in_recovery()")

    def create_repmgr_user(self):
        self.sql("CREATE USER repmgr SUPERUSER")
        self.sql("CREATE DATABASE repmgr OWNER repmgr")

    def basebackup_to(self, other):
        """Makes `other` a streaming standby of this node with plain pg_basebackup."""
        os.makedirs(other.confdir, exist_ok=True)
        self.harness.chown(other.confdir)
        run_as_user([f"{PG_BIN}/pg_basebackup", "-h", "127.0.0.1", "-p", str(self.port),
                     "-U", "repmgr", "-D", other.datadir, "-X", "stream", "-R", "-c", "fast",
                     "-d", f"application_name={other.name}"])
        other.set_port()
        return other

    def write_repmgr_conf(self, node_id, cluster="test", extra=None):
        """Writes this node's repmgr.conf and returns its path."""
        lines = [f"cluster={cluster}", f"node={node_id}", f"node_name={self.name}",
                 f"conninfo='{self.conninfo()}'", f"data_directory='{self.datadir}'",
                 f"pg_bindir='{PG_BIN}'"]
        for key, value in (extra or {}).items():
            lines.append(f"{key}={value}")
        path = os.path.join(self.confdir, "repmgr.conf")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        # repmgr refuses a repmgr.conf writable by group or others: 0600 whatever the umask
        os.chmod(path, 0o600)
        self.harness.chown(path)
        self.conf = path
        return path


class Harness:
    """Owns a temporary base directory, the servers in it and our binaries."""

    def __init__(self, prefix, template_cache):
        self.prefix = prefix
        self.base = tempfile.mkdtemp(prefix="repmgr-test-")
        os.chmod(self.base, 0o755)
        self.chown(self.base)
        self.socket_dir = self.base
        self._template_cache = template_cache
        self.nodes = []
        self.daemons = []  # RepmgrdProcess handles, stopped first at teardown
        self.cleanups = []  # callables run at teardown once the repmgrd are stopped (e.g. an etcd cluster's stop)

    def chown(self, path):
        if os.geteuid() == 0:
            pw = pwd.getpwnam(RUN_AS)
            os.chown(path, pw.pw_uid, pw.pw_gid)

    def template_dir(self):
        return self._template_cache()

    def node(self, name, port=None):
        n = PgNode(self, name, port)
        self.nodes.append(n)
        return n

    def primary(self, name="node1"):
        """A running primary with the repmgr superuser and database."""
        n = self.node(name).init_from_template().start()
        n.create_repmgr_user()
        return n

    def standby_of(self, upstream, name):
        n = self.node(name)
        upstream.basebackup_to(n)
        n.start()
        return n

    def path(self, *parts):
        p = os.path.join(self.base, *parts)
        return p

    def write_file(self, relpath, text, mode=0o644):
        p = self.path(relpath)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
        self.chown(p)
        return p

    def repmgr(self, *args, conf=None, check=False, timeout=300):
        """Runs our installed repmgr as the unprivileged user."""
        cmd = [os.path.join(self.prefix, "bin", "repmgr")]
        if conf:
            cmd += ["-f", conf]
        return run_as_user(cmd + list(args), check=check, timeout=timeout)

    def repmgrd(self, *args, conf=None, check=False, timeout=60):
        cmd = [os.path.join(self.prefix, "bin", "repmgrd")]
        if conf:
            cmd += ["-f", conf]
        return run_as_user(cmd + list(args), check=check, timeout=timeout)

    def start_repmgrd(self, node, *args, conf=None, env=None):
        """Starts our repmgrd for `node` in the background as the unprivileged
        user (stderr to <node dir>/repmgrd.log); teardown stops it. `env` adds
        environment variables (e.g. NOTIFY_SOCKET)."""
        d = RepmgrdProcess(self, node, conf or node.conf, list(args), env)
        self.daemons.append(d)
        return d.start()

    def adopt_repmgrd(self, pid):
        """Tracks a repmgrd started some other way (e.g. -d) so teardown stops it."""
        d = RepmgrdProcess(self, None, None, [])
        d.pid = pid
        self.daemons.append(d)
        return d

    def teardown(self):
        for d in self.daemons:
            try:
                d.stop()
            except Exception:  # noqa: BLE001 - teardown must go on
                pass
        for c in self.cleanups:
            try:
                c()
            except Exception:  # noqa: BLE001 - teardown must go on
                pass
        for n in self.nodes:
            try:
                n.stop("immediate")
            except Exception:  # noqa: BLE001 - teardown must go on
                pass
            pid = n.pid()
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        shutil.rmtree(self.base, ignore_errors=True)


class RepmgrdProcess:
    """A repmgrd running in the background for one node."""

    def __init__(self, harness, node, conf, args, env=None):
        self.harness = harness
        self.extra_env = env or {}
        self.node = node
        self.conf = conf
        self.args = args
        self.proc = None
        self.pid = None
        self.logfile = os.path.join(node.confdir, "repmgrd.log") if node else None

    def start(self):
        cmd = [os.path.join(self.harness.prefix, "bin", "repmgrd"), "-f", self.conf] + self.args
        env = {**user_env(), **self.extra_env}
        extra = {}
        if os.geteuid() == 0:
            # Popen(user=...) makes the child itself repmgrd: signals reach it directly.
            extra = {"user": RUN_AS, "group": RUN_AS, "extra_groups": []}
        with open(self.logfile, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         env=env, cwd=self.node.confdir, **extra)
        self.pid = self.proc.pid
        return self

    def alive(self):
        if self.proc is not None:
            return self.proc.poll() is None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        # a zombie is not alive
        try:
            with open(f"/proc/{self.pid}/stat") as f:
                return f.read().split(")")[-1].split()[0] != "Z"
        except OSError:
            return False

    def signal(self, signo):
        os.kill(self.pid, signo)

    def wait(self, timeout=30):
        """Waits for the process to exit; returns its exit code (None if not our child)."""
        if self.proc is not None:
            return self.proc.wait(timeout=timeout)
        wait_until(lambda: not self.alive(), timeout=timeout, what=f"repmgrd {self.pid} to exit")
        return None

    def stop(self, timeout=30):
        """SIGTERM, then SIGKILL if it does not exit in time; returns the exit code."""
        if self.pid is None or not self.alive():
            return self.proc.poll() if self.proc is not None else None
        self.signal(signal.SIGTERM)
        try:
            return self.wait(timeout)
        except (subprocess.TimeoutExpired, AssertionError):
            self.signal(signal.SIGKILL)
            return self.wait(10)

    def log(self):
        if not self.logfile or not os.path.exists(self.logfile):
            return ""
        with open(self.logfile, errors="replace") as f:
            return f.read()


def make_template(base):
    """initdb once per test session; nodes copy it (initdb costs ~3 s each)."""
    return initdb_with_test_settings(os.path.join(base, "template"))


def initdb_with_test_settings(path):
    """A new PostgreSQL instance (own system identifier) with the test settings."""
    run_as_user([f"{PG_BIN}/initdb", "-D", path, "-U", "postgres", "-A", "trust",
                 "--no-sync", "-E", "UTF8"])
    with open(os.path.join(path, "postgresql.conf"), "a") as f:
        f.write("\n# repmgr test template\n"
                "listen_addresses = '127.0.0.1'\n"
                "wal_level = replica\nmax_wal_senders = 10\nmax_replication_slots = 10\n"
                "hot_standby = on\nwal_keep_size = '64MB'\nfsync = off\n"
                "synchronous_commit = on\nshared_buffers = '16MB'\nmax_connections = 30\n"
                "wal_log_hints = on\nlogging_collector = off\n")
    with open(os.path.join(path, "pg_hba.conf"), "w") as f:
        f.write("local all all trust\nlocal replication all trust\n"
                "host all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n")
    return path
