"""A repmgr cluster in network namespaces: three PostgreSQL nodes and a
witness (or, with arbiter=etcd, three etcd members instead), each in its own
namespace on the lab's bridge, repmgrd on each, set up with our own commands
(primary register, standby clone/register, witness register). Every data
node keeps pg_wal on its own small tmpfs, so a nemesis
can fill it.

The test process itself never talks TCP to the lab: it reaches each server
through its Unix socket (a file: no network, unaffected by partitions)."""

import os
import shutil
import signal
import subprocess
import time

import psycopg

from pylib.conf import FAST_FAILOVER, configure
from pylib.harness import PG_BIN, PgNode, RepmgrdProcess, initdb_with_test_settings, user_env
from pylib.queries import SCHEMA, writable
from pylib.wait import wait_until

from faultlib.etcdlab import EtcdLab
from faultlib.netlab import sh

PORT = 5432
# Each timeline switch leaves a 16 MB copy of its segment in pg_wal until the
# WAL moves past that segment number by wal_keep_size; a cluster that lives
# through dozens of failovers with little WAL in between holds 10-20 of them
# beside max_wal_size. 320 MB filled up after ~16 runs (a promotion then failed
# with "No space left on device"); full_disk_standby fills it on purpose.
WAL_TMPFS_SIZE = "768m"


class NsNode(PgNode):
    """A PostgreSQL server inside a lab host's namespace, on port 5432."""

    def __init__(self, harness, name, host, node_id):
        super().__init__(harness, name, port=PORT)
        self.host = host
        self.node_id = node_id
        self.wal_mount = os.path.join(harness.base, f"{name}-wal")

    def run(self, args, check=True, timeout=300):
        proc = subprocess.run(self.host.argv(args), capture_output=True, text=True,
                              timeout=timeout, env=user_env())
        if check and proc.returncode != 0:
            raise AssertionError(f"{self.name}: {' '.join(args)} failed ({proc.returncode})\n"
                                 f"{proc.stdout}\n{proc.stderr}")
        return proc

    def set_port(self):
        with open(os.path.join(self.datadir, "postgresql.conf"), "a") as f:
            f.write(f"\n# fault lab\nport = {PORT}\nlisten_addresses = '{self.host.ip}'\n"
                    f"unix_socket_directories = '{self.confdir}'\n"
                    "max_wal_size = '96MB'\nmin_wal_size = '32MB'\nwal_keep_size = '32MB'\n")
        with open(os.path.join(self.datadir, "pg_hba.conf"), "a") as f:
            subnet = self.host.lab.subnet
            f.write(f"host all all {subnet} trust\nhost replication all {subnet} trust\n")

    def start(self, wait=True):
        self.run([f"{PG_BIN}/pg_ctl", "-D", self.datadir, "-l", self.logfile,
                  "-w" if wait else "-W", "start"])
        return self

    def stop(self, mode="fast"):
        if self.running():
            self.run([f"{PG_BIN}/pg_ctl", "-D", self.datadir, "-m", mode, "-w", "stop"],
                     check=False)

    def conninfo(self, user="repmgr", dbname="repmgr"):
        return f"host={self.host.ip} port={PORT} user={user} dbname={dbname}"

    def conn_args(self):
        return ["-h", self.host.ip, "-p", str(PORT), "-U", "repmgr", "-d", "repmgr"]

    def connect(self, user="postgres", dbname="postgres", autocommit=True, timeout=5):
        return psycopg.connect(f"host={self.confdir} port={PORT} user={user} dbname={dbname}",
                               autocommit=autocommit, connect_timeout=timeout)

    # --- pg_wal on a tmpfs ---------------------------------------------------
    def mount_wal_tmpfs(self):
        os.makedirs(self.wal_mount, exist_ok=True)
        sh("mount", "-t", "tmpfs", "-o", f"size={WAL_TMPFS_SIZE},mode=0700", "tmpfs",
           self.wal_mount)
        self.harness.chown(self.wal_mount)

    def move_wal_to_tmpfs(self):
        """Moves the (stopped) server's pg_wal onto its tmpfs, behind a symlink."""
        wal = os.path.join(self.datadir, "pg_wal")
        if os.path.islink(wal):
            return
        target = os.path.join(self.wal_mount, "pg_wal")
        shutil.rmtree(target, ignore_errors=True)
        self.run(["cp", "-a", wal, target])
        shutil.rmtree(wal)
        os.symlink(target, wal)
        os.lchown(wal, *self._pg_ids())

    def _pg_ids(self):
        import pwd
        pw = pwd.getpwnam("postgres")
        return pw.pw_uid, pw.pw_gid

    def unmount_wal_tmpfs(self):
        sh("umount", "-l", self.wal_mount, check=False)


class NsRepmgrd(RepmgrdProcess):
    """repmgrd inside its node's namespace."""

    def start(self):
        cmd = self.node.host.argv([os.path.join(self.harness.prefix, "bin", "repmgrd"),
                                   "-f", self.conf] + self.args)
        with open(self.logfile, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         env=user_env(), cwd=self.node.confdir)
        self.pid = self.proc.pid
        return self


class FaultCluster:
    """Three data nodes (node ids 1-3) and a witness (id 4) with repmgrd; with
    arbiter="etcd", three etcd members and no witness ("etcd-failsafe": the
    same with etcd_failsafe=on)."""

    def __init__(self, harness, lab, settings=None, arbiter="witness"):
        self.harness = harness
        self.lab = lab
        self.arbiter = arbiter
        self.etcd = None
        # standby_reconnect_timeout: how long a follow waits for streaming to
        # start before repmgrd tries the rewind (60 s by default).
        # guard_timeout: the guard of issue 21 fences a primary whose repmgrd
        # is dead or frozen (the *_repmgrd_then_isolate_primary nemeses).
        self.settings = dict(FAST_FAILOVER, standby_reconnect_timeout="10", guard_timeout="2",
                             **(settings or {}))
        if arbiter in ("etcd", "etcd-failsafe"):
            # A lease longer than the test minimum (5 s with these timings,
            # 7 s with etcd_failsafe): an etcd leader election (about 1 s)
            # must not fence the primary.
            self.settings.update(arbiter="etcd", etcd_ttl="8", etcd_prefix="/repmgr/test/")
        if arbiter == "etcd-failsafe":
            self.settings.update(etcd_failsafe="on")
        self._base_settings = dict(self.settings)
        self.data = []
        self.witness = None
        self.daemons = {}
        self.client = None

    # --- construction --------------------------------------------------------
    def node(self, name, node_id):
        host = self.lab.add_host(name)
        n = NsNode(self.harness, name, host, node_id)
        os.makedirs(n.confdir, exist_ok=True)
        self.harness.chown(n.confdir)
        self.harness.nodes.append(n)
        return n

    def write_conf(self, n):
        configure(n, n.node_id, self.settings)

    def repmgr(self, n, *args, check=True, timeout=300):
        return n.run([os.path.join(self.harness.prefix, "bin", "repmgr"), "-f", n.conf] + list(args),
                     check=check, timeout=timeout)

    @property
    def members(self):
        """Every node with a repmgr.conf and a repmgrd: the data nodes and the witness."""
        return self.data + ([self.witness] if self.witness else [])

    def build(self):
        n1, n2, n3 = (self.node(f"node{i}", i) for i in (1, 2, 3))
        self.data = [n1, n2, n3]
        if self.arbiter in ("etcd", "etcd-failsafe"):
            self.etcd = EtcdLab(self.lab, self.harness)
        else:
            self.witness = self.node("witness", 4)
        self.client = self.lab.add_host("client")
        if self.etcd:
            self.etcd.client = self.client
            self.etcd.start()
            self.etcd.wait_healthy()
            self.settings["etcd_endpoints"] = f"'{self.etcd.endpoints}'"
            self._base_settings = dict(self.settings)
        for n in self.data:
            n.mount_wal_tmpfs()

        subprocess.run(["runuser", "-u", "postgres", "--", "cp", "-a",
                        self.harness.template_dir(), n1.datadir], check=True)
        n1.set_port()
        n1.move_wal_to_tmpfs()
        n1.start()
        n1.create_repmgr_user()
        n1.sql("CREATE TABLE fault_rows (id bigint PRIMARY KEY, run int NOT NULL, "
               "at timestamptz NOT NULL DEFAULT clock_timestamp())", dbname="repmgr")
        for n in self.data:
            self.write_conf(n)
        self.repmgr(n1, "primary", "register")

        for n in (n2, n3):
            self.repmgr(n, *n1.conn_args(), "-c", "standby", "clone")
            n.set_port()
            n.move_wal_to_tmpfs()
            n.start()
            self.repmgr(n, "standby", "register")

        w = self.witness
        if w:
            initdb_with_test_settings(w.datadir)  # a witness has its own system identifier
            w.set_port()
            w.start()
            w.create_repmgr_user()
            self.write_conf(w)
            self.repmgr(w, *n1.conn_args(), "witness", "register")

        for n in self.members:
            self.start_repmgrd(n)
        return self

    def start_repmgrd(self, n):
        d = NsRepmgrd(self.harness, n, n.conf, [])
        self.harness.daemons.append(d)
        self.daemons[n.name] = d.start()
        return d

    def teardown(self):
        if self.etcd:
            self.etcd.stop()
        for n in self.data:
            n.unmount_wal_tmpfs()

    # --- what the cluster looks like ----------------------------------------
    def writable_nodes(self):
        return [n for n in self.data if writable(n, timeout=2)]

    def primary(self):
        w = self.writable_nodes()
        return w[0] if len(w) == 1 else None

    def standbys(self):
        p = self.primary()
        return [n for n in self.data if n is not p]

    def by_name(self, name):
        return next(n for n in self.members if n.name == name)

    def convergence_problems(self):
        """Empty when the cluster has converged: one writable primary, every
        other data node streaming from it, and the metadata (on the primary
        and on the witness) saying exactly that."""
        writable_now = self.writable_nodes()
        if len(writable_now) != 1:
            return [f"{len(writable_now)} writable primaries: {[n.name for n in writable_now]}"]
        p = writable_now[0]
        problems = []
        for n in self.data:
            if n is p:
                continue
            try:
                row = n.sql("SELECT pg_is_in_recovery(), (SELECT status || ' ' || sender_host "
                            "FROM pg_stat_wal_receiver)")[0]
            except Exception as e:  # noqa: BLE001
                problems.append(f"{n.name} not answering: {str(e).strip()[:80]}")
                continue
            if not row[0]:
                problems.append(f"{n.name} is not in recovery")
            elif row[1] != f"streaming {p.host.ip}":
                problems.append(f"{n.name} WAL receiver: {row[1]!r}, want streaming from {p.name}")
        expected = {p.node_id: ("master", None)}
        for n in self.data:
            if n is not p:
                expected[n.node_id] = ("standby", p.node_id)
        if self.witness:
            expected[self.witness.node_id] = ("witness", p.node_id)
        elif self.etcd:
            holder = self.etcd.get("/repmgr/test/leader")
            if holder != str(p.node_id):
                problems.append(f"the leader key on etcd names {holder!r}, want {p.node_id}")
        for where in [p] + ([self.witness] if self.witness else []):
            try:
                rows = where.sql(f"SELECT id, type, upstream_node_id, active FROM {SCHEMA}.repl_nodes",
                                 dbname="repmgr")
            except Exception as e:  # noqa: BLE001
                problems.append(f"metadata on {where.name} unreadable: {str(e).strip()[:80]}")
                continue
            seen = {r[0]: (r[1], r[2]) for r in rows if r[3]}
            if seen != expected:
                problems.append(f"metadata on {where.name}: {sorted(seen.items())}, "
                                f"want {sorted(expected.items())}")
        return problems

    def wait_converged(self, timeout):
        deadline = time.monotonic() + timeout
        problems = ["not checked"]
        while time.monotonic() < deadline:
            problems = self.convergence_problems()
            if not problems:
                return []
            time.sleep(0.5)
        return problems

    def set_repmgr_overrides(self, overrides):
        """repmgr.conf settings one nemesis runs with (its attribute
        repmgr_settings), on every node, reloaded with SIGHUP; the settings of
        the previous nemesis's overrides go back to the suite's own."""
        overrides = dict(overrides)
        applied = getattr(self, "_overrides", {})
        if overrides == applied:
            return
        for key in applied:
            if key in self._base_settings:
                self.settings[key] = self._base_settings[key]
            else:
                self.settings.pop(key, None)
        self.settings.update(overrides)
        self._overrides = overrides
        for n in self.members:
            self.write_conf(n)
        for d in self.daemons.values():
            if d.alive():
                d.signal(signal.SIGHUP)

    def set_repmgr_synchronous(self, mode):
        """repmgr.conf synchronous=`mode` on every node (repmgrd reloads it on
        SIGHUP). Turning it on clears the suite's own synchronous_standby_names
        and waits until the primary's repmgrd has named and recorded a
        synchronous standby; turning it off leaves the names to set_synchronous."""
        if self.settings.get("synchronous", "off") == mode:
            return
        if mode != "off":
            self.set_synchronous(False)  # before repmgrd takes the names over
        self.settings["synchronous"] = mode
        for n in self.members:
            self.write_conf(n)
        for d in self.daemons.values():
            if d.alive():
                d.signal(signal.SIGHUP)
        if mode == "off":
            return
        p = self.primary()
        wait_until(lambda: p.sql_one("SELECT count(*) FROM pg_stat_replication "
                                     "WHERE sync_state = 'sync'") == 1 and
                   p.sql_one(f"SELECT count(*) FROM {SCHEMA}.repl_zero_loss",
                             dbname="repmgr") == 1,
                   timeout=30, what="repmgrd to name and record a synchronous standby")

    def set_synchronous(self, on):
        # ALTER SYSTEM takes no parameters; the value is this constant.
        statement = ("ALTER SYSTEM SET synchronous_standby_names = 'ANY 1 (node1, node2, node3)'"
                     if on else "ALTER SYSTEM RESET synchronous_standby_names")
        for n in self.data:
            try:
                n.sql(statement)
                n.sql("SELECT pg_reload_conf()")
            except Exception as e:  # noqa: BLE001
                raise AssertionError(f"cannot set synchronous_standby_names on {n.name}: {e}")

    def repair(self):
        """What a DBA does when the cluster did not converge by itself:
        restart what is down and rejoin every node that does not stream from
        the primary. Returns the problems that remain."""
        p = self.primary()
        for n in self.data:
            if n is p:
                continue
            if not n.running() and p is not None:
                self.repmgr(n, "node", "rejoin", "-d", p.conninfo(), "--force-rewind", check=False)
            elif not n.running():
                n.start()
        for d_name, d in self.daemons.items():
            if not d.alive():
                self.start_repmgrd(self.by_name(d_name))
        problems = self.wait_converged(30)
        if problems and p is not None:
            for n in self.data:
                if n is not p and any(n.name in pr for pr in problems):
                    n.stop("fast")
                    self.repmgr(n, "node", "rejoin", "-d", p.conninfo(), "--force-rewind",
                                check=False)
            problems = self.wait_converged(30)
        return problems

    def save_logs(self, dest):
        """Copies every node's repmgrd log, events and server logs (and the
        etcd members' logs) to dest."""
        os.makedirs(dest, exist_ok=True)
        for m in (self.etcd.members if self.etcd else []):
            if os.path.exists(m.logfile):
                shutil.copy(m.logfile, os.path.join(dest, f"{m.name}.log"))
        for n in self.members:
            for f in ("repmgrd.log", "events.txt", "postgres.log"):
                src = os.path.join(n.confdir, f)
                if os.path.exists(src):
                    shutil.copy(src, os.path.join(dest, f"{n.name}-{f}"))
            # A server that repmgr started (pg_ctl -l) logs there instead.
            logdir = os.path.join(n.datadir, "log")
            if os.path.isdir(logdir):
                for f in sorted(os.listdir(logdir)):
                    shutil.copy(os.path.join(logdir, f), os.path.join(dest, f"{n.name}-log-{f}"))
            # Who holds the server's connections (a run once ran out of them):
            # the process titles say, even when no connection slot is left.
            pid = n.pid()
            if pid:
                ps = subprocess.run(["ps", "-o", "pid,etime,args", "--ppid", str(pid)],
                                    capture_output=True, text=True).stdout
                with open(os.path.join(dest, f"{n.name}-backends.txt"), "w") as out:
                    out.write(ps)

    def logs(self, tail=40):
        out = []
        for name, d in self.daemons.items():
            lines = d.log().splitlines()[-tail:]
            out.append(f"--- repmgrd {name} ---\n" + "\n".join(lines))
        return "\n".join(out)

