"""What happened during a run, and the checkers that judge it.

- Writer: the client in its own namespace (writer.py), whose log says which
  commits were acknowledged.
- WritableSampler: one thread per data node asking every 100 ms, over the
  node's Unix socket, whether it accepts writes; each sample keeps the time
  span of the question, so two writable answers whose spans overlap mean two
  writable primaries at once."""

import os
import shutil
import subprocess
import threading
import time

from pylib.harness import user_env
from pylib.queries import writable

from faultlib.nscluster import PORT

WRITER_SOURCE = os.path.join(os.path.dirname(__file__), "writer.py")


class Writer:
    def __init__(self, cluster, run_id):
        self.cluster = cluster
        self.run_id = run_id
        base = cluster.harness.base
        self.script = os.path.join(base, "writer.py")
        if not os.path.exists(self.script):
            shutil.copy(WRITER_SOURCE, self.script)
            os.chmod(self.script, 0o644)
        self.out = os.path.join(base, f"writer-{run_id}.log")
        self.stop_file = os.path.join(base, f"writer-{run_id}.stop")
        self.proc = None

    def start(self):
        hosts = ",".join(n.host.ip for n in self.cluster.data)
        conninfo = (f"host={hosts} port={PORT} user=repmgr dbname=repmgr "
                    "target_session_attrs=read-write connect_timeout=2 tcp_user_timeout=2000")
        argv = self.cluster.client.argv(["/usr/bin/python3", self.script, "--conninfo", conninfo,
                                         "--out", self.out, "--stop-file", self.stop_file,
                                         "--run", str(self.run_id)])
        with open(self.out + ".stderr", "ab") as err:
            self.proc = subprocess.Popen(argv, stdout=err, stderr=err, env=user_env(),
                                         cwd=self.cluster.harness.base)
        return self

    def stop(self):
        with open(self.stop_file, "w"):
            pass
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def returncode(self):
        """The writer's exit code; None while it runs (or before it ran)."""
        return self.proc.poll() if self.proc else None

    def errors(self, limit=300):
        """The end of the writer's stderr (why it could not connect, or died)."""
        try:
            with open(self.out + ".stderr", errors="replace") as f:
                return f.read()[-limit:].strip()
        except OSError:
            return ""

    def acked_after(self, since, timeout):
        """Waits up to `timeout` s for a commit acknowledged after `since`."""
        deadline = time.monotonic() + timeout
        while True:
            if any(o == "ok" and t > since for _, o, t in self.attempts()):
                return True
            if time.monotonic() > deadline or self.returncode() is not None:
                return False
            time.sleep(0.2)

    def attempts(self):
        """[(id, outcome, time)]"""
        rows = []
        try:
            with open(self.out) as f:
                for line in f:
                    parts = line.split()
                    if len(parts) == 3:
                        rows.append((int(parts[0]), parts[1], float(parts[2])))
        except OSError:
            pass
        return rows


class WritableSampler:
    def __init__(self, nodes, interval=0.1):
        self.nodes = nodes
        self.interval = interval
        self.samples = {n.name: [] for n in nodes}
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in nodes]
        for t in self._threads:
            t.start()

    def _run(self, node):
        while not self._stop.is_set():
            t0 = time.time()
            w = writable(node, timeout=1)
            self.samples[node.name].append((t0, time.time(), bool(w)))
            self._stop.wait(self.interval)

    def stop(self):
        self._stop.set()
        for t in self._threads:
            t.join(5)

    def overlaps(self):
        """Pairs of writable samples of different nodes whose spans overlap."""
        found = []
        names = list(self.samples)
        for i, a in enumerate(names):
            wa = [s for s in self.samples[a] if s[2]]
            for b in names[i + 1:]:
                wb = [s for s in self.samples[b] if s[2]]
                j = 0
                for s in wa:
                    while j < len(wb) and wb[j][1] < s[0]:
                        j += 1
                    if j < len(wb) and wb[j][0] <= s[1]:
                        found.append((a, b, s[0]))
        return found

    def writable_spans(self):
        """{node: (first, last) time it answered writable}"""
        out = {}
        for name, samples in self.samples.items():
            w = [s[0] for s in samples if s[2]]
            if w:
                out[name] = (min(w), max(w))
        return out


def replication_lag_s(primary):
    """The largest write lag (seconds) any standby reports to the primary now."""
    try:
        v = primary.sql_one("SELECT max(greatest(extract(epoch FROM write_lag), "
                            "extract(epoch FROM flush_lag), extract(epoch FROM replay_lag), 0)) "
                            "FROM pg_stat_replication")
        return float(v or 0.0)
    except Exception:  # noqa: BLE001
        return 0.0


def check_commits(attempts, present_ids, synchronous, fault_time, lag_s, slack_s=1.0):
    """Returns (problems, info). Synchronous: every acknowledged commit must be
    on the final primary. Asynchronous: lost commits must have been
    acknowledged within lag + slack before the fault (reported either way)."""
    acked = {i: t for i, outcome, t in attempts if outcome == "ok"}
    attempted = {i for i, _, _ in attempts}
    lost = sorted(i for i in acked if i not in present_ids)
    phantom = sorted(i for i in present_ids if i not in attempted)
    refused_but_present = sorted(i for i, outcome, _ in attempts
                                 if outcome == "err" and i in present_ids)
    problems = []
    if phantom:
        problems.append(f"{len(phantom)} rows present that the writer never attempted")
    if refused_but_present:
        problems.append(f"{len(refused_but_present)} rows refused with an error are present")
    info = {"acked": len(acked), "found": len(acked) - len(lost), "lost": len(lost),
            "unknown": sum(1 for _, o, _ in attempts if o == "unknown")}
    if lost:
        if synchronous:
            problems.append(f"{len(lost)} acknowledged commits lost with synchronous replication "
                            f"(first ids {lost[:5]})")
        else:
            # Only what the standbys had not yet received when the fault hit
            # may be lost: nothing older than the lag, nothing acknowledged later.
            early = [i for i in lost if acked[i] < fault_time - lag_s - slack_s]
            late = [i for i in lost if acked[i] > fault_time + slack_s]
            if early:
                problems.append(f"{len(early)} acknowledged commits lost that were older than the "
                                f"replication lag at the fault ({lag_s:.2f} s + {slack_s} s)")
            if late:
                problems.append(f"{len(late)} commits acknowledged after the fault were lost "
                                "(written to a primary that was later discarded)")
    return problems, info
