"""A 3-member etcd (Debian's etcd-server) for the fault lab's arbiter=etcd
cluster: each member in its own lab host (namespace), on the lab's bridge, so
that a nemesis can cut the primary off from etcd but not from its standbys,
or kill etcd's raft leader. The test process reads etcd only from inside the
client host's namespace (never TCP from the root namespace)."""

import json
import os
import signal
import subprocess

from pylib.etcd import etcd_argv
from pylib.wait import wait_until

CLIENT_PORT = 2379
PEER_PORT = 2380

# A small script run inside the client namespace: POSTs a JSON body to one
# member's gateway and prints the answer (or nothing when it does not answer).
_POST = """
import sys, urllib.request
try:
    r = urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=sys.argv[2].encode()),
                               timeout=2)
    print(r.read().decode())
except Exception:
    pass
"""


class EtcdMember:
    def __init__(self, lab, harness, index):
        self.name = f"etcd{index}"
        self.host = lab.add_host(self.name)
        self.data_dir = os.path.join(harness.base, f"{self.name}-data")
        self.logfile = os.path.join(harness.base, f"{self.name}.log")
        self.proc = None

    @property
    def client_url(self):
        return f"http://{self.host.ip}:{CLIENT_PORT}"

    @property
    def peer_url(self):
        return f"http://{self.host.ip}:{PEER_PORT}"

    def start(self, initial_cluster, token):
        state = "existing" if os.path.exists(self.data_dir) else "new"
        cmd = etcd_argv(self.name, self.data_dir, self.client_url, self.peer_url,
                        initial_cluster, state, token)
        with open(self.logfile, "ab") as log:
            self.proc = subprocess.Popen(self.host.argv(cmd), stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=log)
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM):
        if not self.running():
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


class EtcdLab:
    def __init__(self, lab, harness, members=3):
        self.lab = lab
        self.client = None  # the lab host the test reads etcd from (set by the cluster)
        self.members = [EtcdMember(lab, harness, i) for i in range(1, members + 1)]
        self.initial = ",".join(f"{m.name}={m.peer_url}" for m in self.members)
        self.token = os.path.basename(harness.base)

    @property
    def endpoints(self):
        return ",".join(m.client_url for m in self.members)

    @property
    def hosts(self):
        return [m.host for m in self.members]

    def start(self):
        for m in self.members:
            if not m.running():
                m.start(self.initial, self.token)
        return self

    def wait_healthy(self, timeout=60):
        wait_until(lambda: self.status(self.members[0]) is not None or
                   any(self.status(m) is not None for m in self.members),
                   timeout=timeout, what="etcd to answer")

    def stop(self):
        for m in self.members:
            m.stop()

    def _post(self, member, path, body):
        """The member's JSON answer, or None when it gives none in time (the
        client's own 2 s, or 30 s for the whole command on a loaded machine:
        starting python in the namespace once took more than 10 s)."""
        try:
            proc = subprocess.run(self.client.argv(["/usr/bin/python3", "-c", _POST,
                                                    member.client_url + path, json.dumps(body)]),
                                  capture_output=True, text=True, timeout=30)
        except subprocess.TimeoutExpired:
            return None
        out = proc.stdout.strip()
        return json.loads(out) if out else None

    def status(self, member):
        return self._post(member, "/v3/maintenance/status", {}) if member.running() else None

    def leader(self):
        """The member that is etcd's raft leader now, or None."""
        for m in self.members:
            st = self.status(m)
            if st and st.get("leader") and st.get("leader") == st.get("header", {}).get("member_id"):
                return m
        return None

    def get(self, key):
        import base64
        for m in self.members:
            if not m.running():
                continue
            ans = self._post(m, "/v3/kv/range", {"key": base64.b64encode(key.encode()).decode()})
            if ans is not None:
                kvs = ans.get("kvs", [])
                return base64.b64decode(kvs[0].get("value", "")).decode() if kvs else None
        return None
