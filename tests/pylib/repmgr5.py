"""A live repmgr 5.3 cluster built with repmgr 5's own commands (Debian's
`postgresql-15-repmgr`, installed beside the server binaries): its
repmgr.conf, its extension preloaded, `primary register`, `standby clone`,
`standby register`, and its repmgrd. Servers come from the harness, which
stops them (and these daemons) at teardown."""

import os
import signal
import subprocess

from pylib.harness import PG_BIN, RUN_AS, run_as_user, user_env
from pylib.wait import wait_until

REPMGR5_BIN = PG_BIN  # Debian installs repmgr 5 next to the server's own programs


def available():
    return os.path.exists(os.path.join(REPMGR5_BIN, "repmgrd"))


def write_conf(node, node_id, priority=100, location="dc1", extra=None):
    """repmgr.conf as repmgr 5's documentation writes it: no `cluster` key,
    promote and follow through `repmgr` on PATH (whichever one is installed)."""
    conf = os.path.join(node.confdir, "repmgr.conf")
    settings = {
        "node_id": str(node_id), "node_name": f"'{node.name}'",
        "conninfo": f"'{node.conninfo()} connect_timeout=2'",
        "data_directory": f"'{node.datadir}'", "pg_bindir": f"'{PG_BIN}'",
        "priority": str(priority), "location": f"'{location}'",
        "use_replication_slots": "yes",
        "log_level": "'INFO'", "log_file": f"'{os.path.join(node.confdir, 'repmgr.log')}'",
        "failover": "'automatic'",
        "promote_command": f"'repmgr standby promote -f {conf} --log-to-file'",
        "follow_command": f"'repmgr standby follow -f {conf} --log-to-file --upstream-node-id=%n'",
        "monitor_interval_secs": "1", "reconnect_attempts": "2", "reconnect_interval": "1",
    }
    settings.update(extra or {})
    os.makedirs(node.confdir, exist_ok=True)
    node.harness.chown(node.confdir)
    with open(conf, "w") as f:
        f.write("".join(f"{k}={v}\n" for k, v in settings.items()))
    os.chmod(conf, 0o600)
    node.harness.chown(conf)
    node.conf = conf
    return conf


def repmgr5(node, *args, check=True):
    """Runs repmgr 5's repmgr with the node's repmgr.conf."""
    return run_as_user([os.path.join(REPMGR5_BIN, "repmgr"), "-f", node.conf] + list(args),
                       check=check)


def preload_extension(node):
    """repmgrd 5 refuses to run unless its library is preloaded."""
    with open(os.path.join(node.datadir, "postgresql.conf"), "a") as f:
        f.write("\nshared_preload_libraries = 'repmgr'\n")


class Repmgrd5:
    """repmgr 5's repmgrd in the foreground as the unprivileged user (its log
    goes to the node's log_file); the harness teardown calls stop()."""

    def __init__(self, node):
        self.node = node
        self.proc = None

    def start(self):
        cmd = [os.path.join(REPMGR5_BIN, "repmgrd"), "-f", self.node.conf,
               "--daemonize=false", "--no-pid-file"]
        extra = {}
        if os.geteuid() == 0:
            extra = {"user": RUN_AS, "group": RUN_AS, "extra_groups": []}
        with open(os.path.join(self.node.confdir, "repmgrd5.stderr"), "ab") as out:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                         env=user_env(), cwd=self.node.confdir, **extra)
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log(self):
        path = os.path.join(self.node.confdir, "repmgr.log")
        if not os.path.exists(path):
            return ""
        with open(path, errors="replace") as f:
            return f.read()

    def stop(self, timeout=20):
        if not self.alive():
            return self.proc.poll() if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(timeout=10)


def build_cluster(harness, priorities=(100, 50), location="dc1", witness=False):
    """Primary node1 and standbys node2, node3 (priorities as given), built
    and registered by repmgr 5, with repmgr 5's repmgrd monitoring each; with
    `witness`, also a witness (id 4, its own instance) registered by repmgr 5.
    Returns (primary, [standbys], {name: Repmgrd5}); the witness is
    harness.nodes[-1] and its daemon daemons["witness"]."""
    primary = harness.node("node1").init_from_template()
    preload_extension(primary)
    primary.start()
    primary.create_repmgr_user()
    write_conf(primary, 1, location=location)
    repmgr5(primary, "primary", "register")
    standbys = []
    for node_id, prio in zip((2, 3), priorities):
        s = harness.node(f"node{node_id}")
        write_conf(s, node_id, priority=prio, location=location)
        # No -D: repmgr 5 takes the data directory from data_directory.
        repmgr5(s, *primary.conn_args(), "standby", "clone", "--fast-checkpoint")
        s.set_port()  # the clone copied the primary's postgresql.conf
        s.start()
        repmgr5(s, "standby", "register")
        standbys.append(s)
    members = [primary] + standbys
    if witness:
        w = harness.node("witness").init_fresh()
        preload_extension(w)
        w.start()
        w.create_repmgr_user()
        write_conf(w, 4, location=location)
        repmgr5(w, *primary.conn_args(), "witness", "register")
        members.append(w)
    daemons = {}
    for n in members:
        d = Repmgrd5(n).start()
        harness.daemons.append(d)
        daemons[n.name] = d
    for n in members:
        wait_until(lambda n=n: "monitoring" in daemons[n.name].log() or not daemons[n.name].alive(),
                   timeout=30, what=f"repmgrd 5 on {n.name} monitoring")
        assert daemons[n.name].alive(), daemons[n.name].log()
    return primary, standbys, daemons


def nodes(node):
    """repmgr 5's own records (repmgr.nodes), by node id."""
    return node.sql("SELECT node_id, node_name, type, upstream_node_id, priority, location, "
                    "active, slot_name, config_file FROM repmgr.nodes ORDER BY node_id",
                    dbname="repmgr")
