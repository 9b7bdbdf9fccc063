"""Host death by network (failover kill "network"): every node of a variant's
cluster (PostgreSQL and its daemon), its witness or etcd members, and a
client each live in a network namespace on a bridge, with the fault suite's
lab (tests/faults/faultlib: netlab.NetLab, nscluster.NsNode, etcdlab.EtcdLab).
The cut drops every packet from and to the primary's namespace (nftables in
it: no RST, no ICMP, nothing answers) while its PostgreSQL and its daemon
keep running inside, as on a partitioned host. The bench reaches each server
through its Unix socket only (a file: no network, unaffected by the cut), so
it can still ask the old primary whether it takes writes.

The root namespace has no route to the lab's subnet: NetLab.create() adds a
blackhole route first and destroy() removes it last (DESIGN.md 7)."""

import os
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "faults"))  # faultlib

from faultlib.etcdlab import EtcdLab  # noqa: E402
from faultlib.netlab import NetLab  # noqa: E402
from faultlib.nscluster import PORT, NsNode  # noqa: E402
from pylib.harness import PG_BIN, Harness  # noqa: E402
from pylib.queries import writable  # noqa: E402

# How long the bench watches the old primary after the new one took a write
# (repmgr 5 never fences it: every run of it waits this long).
FENCE_WATCH_S = 30


class BenchNsNode(NsNode):
    """A fault-lab node whose standbys are cloned with plain pg_basebackup
    (the harness's standby_of), run inside the new standby's namespace."""

    def __init__(self, harness, name, host):
        super().__init__(harness, name, host, node_id=None)

    def basebackup_to(self, other):
        os.makedirs(other.confdir, exist_ok=True)
        self.harness.chown(other.confdir)
        other.run([f"{PG_BIN}/pg_basebackup", "-h", self.host.ip, "-p", str(PORT), "-U", "repmgr",
                   "-D", other.datadir, "-X", "stream", "-R", "-c", "fast",
                   "-d", f"application_name={other.name}"])
        other.set_port()
        return other


class NsHarness(Harness):
    """The harness with every node in a new host (namespace) of `lab`."""

    def __init__(self, prefix, template_cache, lab):
        super().__init__(prefix, template_cache)
        self.lab = lab

    def node(self, name, port=None):
        n = BenchNsNode(self, name, self.lab.add_host(name))
        self.nodes.append(n)
        return n

    def teardown(self):
        """BENCH_KEEP_LOGS=<dir>: the run's logs are copied there first."""
        keep = os.environ.get("BENCH_KEEP_LOGS")
        if keep:
            dest = os.path.join(keep, os.path.basename(self.base))
            try:
                shutil.copytree(self.base, dest, ignore=shutil.ignore_patterns(
                    "data", "*-data", ".s.PGSQL*"), ignore_dangling_symlinks=True,
                    dirs_exist_ok=True)
            except (OSError, shutil.Error):
                pass  # a copy of the logs is no reason to leave the servers running
        super().teardown()


class Lab:
    """A NetLab for one run: created on entry; on exit healed, the cluster
    torn down (its servers stop from inside their namespaces), then the
    namespaces and the blackhole route removed."""

    def __init__(self):
        self.net = NetLab()
        # Apart from the fault suite's 10.213.x.0/24 and rfNNNN names, which
        # may run at the same time.
        pid = os.getpid()
        self.net.tag = f"rb{pid % 100000}"
        self.net.subnet_prefix = f"10.214.{20 + pid % 200}"
        self.net.subnet = f"{self.net.subnet_prefix}.0/24"
        self.net.bridge_ns = f"{self.net.tag}-br"
        self.teardown = None  # the cluster's teardown, set once it exists

    def __enter__(self):
        try:
            self.net.create()
        except Exception:
            self.net.destroy()
            raise
        return self

    def __exit__(self, *exc):
        try:
            self.net.heal()
            if self.teardown:
                self.teardown()
        finally:
            self.net.destroy()

    def etcd(self, harness):
        """Three etcd members, each in its own namespace, read from a client's."""
        etcd = EtcdLab(self.net, harness)
        etcd.client = self.net.hosts.get("client") or self.net.add_host("client")
        harness.cleanups.append(etcd.stop)
        etcd.start()
        etcd.wait_healthy()
        return etcd

    def cut(self, node):
        """The primary's host drops every packet from and to every other host."""
        self.net.isolate(node.host)


def first_write_local(standbys, deadline):
    """A client retrying every 50 ms until a write succeeds on a standby,
    through the standbys' Unix sockets."""
    attempts = 0
    while time.monotonic() < deadline:
        for s in standbys:
            attempts += 1
            try:
                with s.connect(timeout=1) as conn:
                    conn.execute("SET statement_timeout = 1000")
                    conn.execute("INSERT INTO bench_writes DEFAULT VALUES")
                    return time.monotonic(), s, attempts
            except Exception:  # noqa: BLE001 - not (yet) a primary
                pass
        time.sleep(0.05)
    return None, None, attempts


class OldPrimaryWatch:
    """Whether the cut-off primary still commits a write (through its Unix
    socket, i.e. from inside its host) once another one has: any probe that
    commits says so. It refuses once PROBES_TO_REFUSE probes in a row fail
    (a single failure may be a timeout on a loaded machine), from the first of
    them; watched for FENCE_WATCH_S after the new primary's first write."""

    PROBES_TO_REFUSE = 3

    def __init__(self, old, t0):
        self.old, self.t0 = old, t0
        self.end = time.monotonic() + FENCE_WATCH_S
        self.wrote = False
        self.streak, self.streak_from, self.refused = 0, None, None
        self.next_at = 0.0  # one probe every 0.2 s at most: each is a new session

    def done(self):
        return self.refused is not None or time.monotonic() >= self.end

    def probe(self):
        if self.done() or time.monotonic() < self.next_at:
            return
        self.next_at = time.monotonic() + 0.2
        at = time.monotonic() - self.t0
        if writable(self.old, timeout=5):
            self.wrote = True
            self.streak, self.streak_from = 0, None
            return
        self.streak += 1
        self.streak_from = self.streak_from if self.streak_from is not None else at
        if self.streak >= self.PROBES_TO_REFUSE:
            self.refused = self.streak_from

    def result(self):
        return {"two_writable_primaries": self.wrote,
                "old_primary_refuses_s": None if self.refused is None else round(self.refused, 3)}


def measure_cut(cut, old, standbys, timeout, why_not):
    """Runs cut() and times the first write on a standby and the other standby
    streaming from it, watching meanwhile whether the old primary still
    commits writes (OldPrimaryWatch); returns (result, new primary, cut wall
    time)."""
    from clusters import streams_from  # the bench's, not the fault suite's
    t0 = time.monotonic()
    t0_wall = time.time()
    cut()
    t_write, new, attempts = first_write_local(standbys, t0 + timeout)
    if t_write is None:
        raise RuntimeError(f"no standby accepted a write within {timeout} s of the cut "
                           f"(no automatic failover); last log lines: {why_not()}")
    other = next(s for s in standbys if s is not new)
    stream_s = None
    stream_end = max(t_write + 5, t0 + timeout)
    old_primary = OldPrimaryWatch(old, t0)
    while True:
        now = time.monotonic()
        if stream_s is None and now < stream_end and streams_from(other, new):
            stream_s = time.monotonic() - t0
        old_primary.probe()
        if (stream_s is not None or now >= stream_end) and old_primary.done():
            break
        time.sleep(0.05)
    return ({"seconds": t_write - t0, "other_standby_streams_s": stream_s,
             "write_attempts": attempts, **old_primary.result()},
            new, t0_wall)
