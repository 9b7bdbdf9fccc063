"""Identical PostgreSQL 15 clusters on 127.0.0.1 for either tool: ours or
Debian's repmgr 5.3. Servers come from the test harness (tests/pylib);
this module adds what the two tools need (config files, registration,
daemons) and tears everything down through the harness."""

import os
import signal
import subprocess
import time

from pylib.harness import PG_BIN, RUN_AS, Harness, run_as_user
from pylib.net import BlackHole  # noqa: F401 - re-exported for scenarios
from pylib.wait import wait_until

REPMGR5_BIN = PG_BIN  # Debian installs repmgr 5.3 beside the server binaries
CLUSTER = "bench"


class Tool:
    """How to run one tool: its binaries, config spelling and metadata."""

    def __init__(self, name, bindir):
        self.name = name
        self.bindir = bindir

    @property
    def repmgr(self):
        return os.path.join(self.bindir, "repmgr")

    @property
    def repmgrd(self):
        return os.path.join(self.bindir, "repmgrd")

    def daemon_args(self):
        # ours stays in the foreground by default; repmgr 5 daemonizes unless told not to
        if self.name == "repmgr5":
            return ["--daemonize=false", "--no-pid-file"]
        return []

    def conf_lines(self, node, node_id, settings):
        conninfo = node_conninfo(node)
        lines = [f"node_id={node_id}", f"node_name='{node.name}'",
                 f"conninfo='{conninfo}'", f"data_directory='{node.datadir}'",
                 f"pg_bindir='{PG_BIN}'", f"repmgr_bindir='{self.bindir}'",
                 f"pg_ctl_options='-l {node.logfile}'"]
        if self.name == "ours":
            # ours logs to stderr unless told otherwise, for the CLI too
            lines.insert(0, f"cluster={CLUSTER}")
        else:
            # repmgr 5's log_file applies to repmgrd (and to --log-to-file) only
            lines.append(f"log_file='{os.path.join(node.confdir, 'repmgrd.log')}'")
        conf = os.path.join(node.confdir, "repmgr.conf")
        for key, value in settings.items():
            if key in ("promote_command", "follow_command"):
                value = "'" + value.format(repmgr=self.repmgr, conf=conf) + "'"
            lines.append(f"{key}={value}")
        return conf, lines

    def nodes_sql(self):
        """SQL listing (node id, is active primary) from the tool's metadata."""
        if self.name == "repmgr5":
            return "SELECT node_id, type FROM repmgr.nodes WHERE active ORDER BY node_id"
        return f"SELECT id, type FROM repmgr_{CLUSTER}.repl_nodes WHERE active ORDER BY id"


def node_conninfo(node):
    # node.conninfo(): 127.0.0.1 and the node's port, or, for a node in a
    # network namespace (bench/hostdeath.py), its namespace's address
    return f"{node.conninfo()} connect_timeout=2"


def preload_repmgr(node):
    """repmgrd 5 refuses to run unless its library is preloaded; both tools'
    clusters get it so they stay identical."""
    with open(os.path.join(node.datadir, "postgresql.conf"), "a") as f:
        f.write("\nshared_preload_libraries = 'repmgr'\n")


def make_bench_template(base):
    from pylib.harness import make_template
    path = make_template(base)
    with open(os.path.join(path, "postgresql.conf"), "a") as f:
        f.write("\nshared_preload_libraries = 'repmgr'\n")
    return path


class UserProcess:
    """A child run in the foreground as the unprivileged user, its output
    appended to `log_path`; stop() sends SIGTERM, then SIGKILL after
    `stop_timeout` seconds (the harness teardown calls it)."""

    stop_timeout = 20

    def __init__(self):
        self.proc = None
        self.pid = None

    def spawn(self, cmd, log_path, env, cwd, host=None):
        """`host`: a network namespace of the fault lab (tests/faults/faultlib/
        netlab.py) to run in; its argv switches to the user itself."""
        extra = {}
        if host is not None:
            cmd = host.argv(cmd)
        elif os.geteuid() == 0:
            extra = {"user": RUN_AS, "group": RUN_AS, "extra_groups": []}
        with open(log_path, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         env=env, cwd=cwd, **extra)
        self.pid = self.proc.pid
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=None):
        if not self.alive():
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout or self.stop_timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


class Daemon(UserProcess):
    """A repmgrd (either tool) in the foreground as the unprivileged user;
    the harness teardown stops it (it calls stop())."""

    def __init__(self, tool, node, conf, args):
        super().__init__()
        self.tool, self.node, self.conf, self.args = tool, node, conf, args

    def start(self):
        cmd = [self.tool.repmgrd, "-f", self.conf] + self.tool.daemon_args() + self.args
        env = {"PATH": f"{PG_BIN}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
               "HOME": "/tmp"}
        return self.spawn(cmd, os.path.join(self.node.confdir, "repmgrd.stderr"), env,
                          self.node.confdir, getattr(self.node, "host", None))


class BenchCluster:
    """One cluster for one tool: a harness (servers, teardown), the nodes'
    config files, and the tool's daemons."""

    def __init__(self, tool, prefix, template_cache, sshd=None, harness=None):
        """`harness`: bench/hostdeath.py's, which puts every node in its own
        network namespace."""
        self.tool = tool
        self.h = harness or Harness(prefix, template_cache)
        self.sshd = sshd
        self.confs = {}      # node name -> repmgr.conf path
        self.ids = {}        # node name -> node id
        self.primary = None
        self.standbys = []
        self.witness = None

    # --- configuration -----------------------------------------------------
    def write_conf(self, node, node_id, settings=None):
        settings = dict(settings or {})
        if self.sshd is not None:
            settings.setdefault("ssh_options", f"'{self.sshd.ssh_options()}'")
            if self.tool.name == "ours":
                settings.setdefault("remote_config_file", f"'{self.h.base}/%a/repmgr.conf'")
        conf, lines = self.tool.conf_lines(node, node_id, settings)
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(conf, 0o600)  # a group-writable repmgr.conf is refused, whatever the umask
        self.h.chown(conf)
        self.confs[node.name] = conf
        self.ids[node.name] = node_id
        node.conf = conf
        return conf

    def repmgr(self, node, *args, check=True, timeout=300):
        argv = [self.tool.repmgr, "-f", self.confs[node.name]] + list(args)
        if hasattr(node, "host"):  # in its network namespace (bench/hostdeath.py)
            r = node.run(argv, check=False, timeout=timeout)
        else:
            r = run_as_user(argv, check=False, timeout=timeout)
        if check and r.returncode != 0:
            raise RuntimeError(f"{self.tool.name} repmgr {' '.join(args)} on {node.name} "
                               f"failed ({r.returncode}): {r.stderr.strip()[-600:]}")
        return r

    # --- building ----------------------------------------------------------
    def build(self, standbys=2, witness=False, settings=None):
        """A registered primary node1, `standbys` registered standbys, and
        optionally a registered witness (a separate instance)."""
        settings = settings or {}
        p = self.h.primary("node1")
        self.primary = p
        self.write_conf(p, 1, settings)
        self.repmgr(p, "primary", "register")
        for i in range(standbys):
            s = self.add_standby(f"node{i + 2}", i + 2, settings)
            self.standbys.append(s)
        if witness:
            w = self.h.node("witness").init_fresh()
            preload_repmgr(w)
            w.start()
            w.create_repmgr_user()
            self.write_conf(w, 99, settings)
            self.repmgr(w, *p.conn_args(), "witness", "register")
            self.witness = w
        return self

    def add_standby(self, name, node_id, settings):
        s = self.h.standby_of(self.primary, name)
        self.write_conf(s, node_id, settings)
        self.repmgr(s, "standby", "register")
        return s

    def all_nodes(self):
        return [self.primary] + self.standbys + ([self.witness] if self.witness else [])

    def start_daemons(self, nodes=None):
        for n in nodes or self.all_nodes():
            d = Daemon(self.tool, n, self.confs[n.name], []).start()
            self.h.daemons.append(d)
        # each daemon must be up and past its first check before we break anything
        time.sleep(1)
        dead = [d.node.name for d in self.h.daemons if not d.alive()]
        if dead:
            raise RuntimeError(f"{self.tool.name} repmgrd exited at start on {dead}: "
                               + self.daemon_log(dead[0])[-600:])

    def daemon_log(self, name):
        text = ""
        for f in ("repmgrd.log", "repmgrd.stderr"):
            p = os.path.join(self.h.base, name, f)
            if os.path.exists(p):
                with open(p, errors="replace") as fh:
                    text += fh.read()
        return text

    def teardown(self):
        self.h.teardown()


def is_writable_primary(node):
    try:
        return node.sql_one("SELECT NOT pg_is_in_recovery()") is True
    except Exception:  # noqa: BLE001 - down or restarting
        return False


def streams_from(standby, primary):
    """True when `standby`'s WAL receiver streams from `primary`'s port (and,
    in network namespaces, where every node has port 5432, its address)."""
    try:
        row = standby.sql("SELECT status, sender_port, sender_host FROM pg_stat_wal_receiver")
    except Exception:  # noqa: BLE001
        return False
    host = getattr(primary, "host", None)
    return (bool(row) and row[0][0] == "streaming" and row[0][1] == primary.port
            and (host is None or row[0][2] == host.ip))


def multi_host_conninfo(nodes, timeout=1):
    hosts = ",".join("127.0.0.1" for _ in nodes)
    ports = ",".join(str(n.port) for n in nodes)
    return (f"host={hosts} port={ports} user=postgres dbname=postgres "
            f"target_session_attrs=read-write connect_timeout={timeout}")


def freeze_tree(pid, signo):
    """Sends signo to a postmaster and all its children (a frozen server)."""
    pids = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            pids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    for p in pids:
        try:
            os.kill(p, signo)
        except ProcessLookupError:
            pass
    return pids


def proc_cpu_seconds(pid, with_children=False):
    """utime+stime (and reaped children's cutime+cstime) of a process, seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    if with_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def server_cpu_seconds(postmaster_pid):
    """CPU of a whole server: postmaster, reaped children, and live children."""
    total = proc_cpu_seconds(postmaster_pid, with_children=True)
    try:
        with open(f"/proc/{postmaster_pid}/task/{postmaster_pid}/children") as f:
            for c in f.read().split():
                try:
                    total += proc_cpu_seconds(int(c))
                except (OSError, IndexError):
                    pass
    except OSError:
        pass
    return total


__all__ = ["Tool", "BenchCluster", "BlackHole", "Daemon", "REPMGR5_BIN", "CLUSTER",
           "is_writable_primary", "streams_from", "multi_host_conninfo", "freeze_tree",
           "server_cpu_seconds", "proc_cpu_seconds", "wait_until",
           "make_bench_template", "node_conninfo", "run_as_user", "PG_BIN"]
