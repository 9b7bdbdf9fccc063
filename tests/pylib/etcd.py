"""A real etcd cluster (Debian's etcd-server, 3.4) on free 127.0.0.1 ports for
the arbiter=etcd tests, run as the unprivileged user in the harness's
directory and stopped at teardown. Keys are read through the v3 JSON gateway,
as repmgrd reads them."""

import base64
import json
import os
import signal
import subprocess

import urllib.error
import urllib.request

from pylib.harness import as_user_argv, free_port
from pylib.wait import wait_until

ETCD = "/usr/bin/etcd"


def _b64(text):
    return base64.b64encode(text.encode()).decode()


def etcd_argv(name, data_dir, client_url, peer_url, initial_cluster, state, token):
    """The command line of one etcd member (also the fault lab's)."""
    return [ETCD, "--name", name, "--data-dir", data_dir,
            "--listen-client-urls", client_url, "--advertise-client-urls", client_url,
            "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
            "--initial-cluster", initial_cluster, "--initial-cluster-state", state,
            "--initial-cluster-token", token, "--logger", "zap", "--log-outputs", "stderr"]


class EtcdMember:
    def __init__(self, cluster, index):
        self.cluster = cluster
        self.name = f"etcd{index}"
        self.client_port = free_port()
        self.peer_port = free_port()
        self.data_dir = cluster.harness.path(self.name)
        self.logfile = cluster.harness.path(f"{self.name}.log")
        self.proc = None

    @property
    def client_url(self):
        return f"http://127.0.0.1:{self.client_port}"

    @property
    def peer_url(self):
        return f"http://127.0.0.1:{self.peer_port}"

    def start(self, initial_cluster, state="new"):
        cmd = etcd_argv(self.name, self.data_dir, self.client_url, self.peer_url,
                        initial_cluster, state, os.path.basename(self.cluster.harness.base))
        with open(self.logfile, "ab") as log:
            self.proc = subprocess.Popen(as_user_argv(cmd), stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=log, start_new_session=True)
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM):
        if not self.running():
            return
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def kill9(self):
        self.stop(signal.SIGKILL)

    def healthy(self):
        try:
            with urllib.request.urlopen(self.client_url + "/health", timeout=2) as r:
                return json.loads(r.read()).get("health") == "true"
        except (OSError, ValueError):
            return False


class EtcdCluster:
    """`members` etcd members on loopback; `endpoints` is the value of
    etcd_endpoints for repmgr.conf."""

    def __init__(self, harness, members=3):
        self.harness = harness
        os.makedirs(harness.path(), exist_ok=True)
        self.members = [EtcdMember(self, i) for i in range(members)]
        self.initial = ",".join(f"{m.name}={m.peer_url}" for m in self.members)
        harness.cleanups.append(self.stop_all)

    @property
    def endpoints(self):
        return ",".join(m.client_url for m in self.members)

    def start(self):
        for m in self.members:
            m.start(self.initial, "new" if not os.path.exists(m.data_dir) else "existing")
        wait_until(lambda: all(m.healthy() for m in self.members), timeout=60,
                   what="every etcd member healthy")
        return self

    def stop_all(self):
        for m in self.members:
            m.stop()

    def start_all(self):
        for m in self.members:
            if not m.running():
                m.start(self.initial, "existing")
        wait_until(lambda: any(m.healthy() for m in self.members), timeout=60,
                   what="etcd to answer again")

    def _post(self, path, body):
        last = None
        for m in self.members:
            if not m.running():
                continue
            try:
                req = urllib.request.Request(m.client_url + path, data=json.dumps(body).encode(),
                                             headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(req, timeout=3) as r:
                    return json.loads(r.read())
            except (OSError, urllib.error.URLError) as e:
                last = e
        raise AssertionError(f"no etcd member answered {path}: {last}")

    def get(self, key):
        """The value of `key` (text), or None."""
        kvs = self._post("/v3/kv/range", {"key": _b64(key)}).get("kvs", [])
        return base64.b64decode(kvs[0].get("value", "")).decode() if kvs else None

    def keys(self, prefix):
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        kvs = self._post("/v3/kv/range", {"key": _b64(prefix), "range_end": _b64(end),
                                          "keys_only": True}).get("kvs", [])
        return sorted(base64.b64decode(kv["key"]).decode() for kv in kvs)

    def leader_member(self):
        """The member that is the raft leader now."""
        for m in self.members:
            if not m.running():
                continue
            try:
                req = urllib.request.Request(m.client_url + "/v3/maintenance/status", data=b"{}")
                with urllib.request.urlopen(req, timeout=2) as r:
                    st = json.loads(r.read())
                if st.get("leader") == st.get("header", {}).get("member_id"):
                    return m
            except OSError:
                continue
        return None


def etcd_settings(etcd, prefix="/repmgr/test/", ttl=5):
    """repmgr.conf settings of arbiter=etcd for the test clusters (FAST_FAILOVER
    timing allows a 5 s lease)."""
    return {"arbiter": "etcd", "etcd_endpoints": f"'{etcd.endpoints}'", "etcd_prefix": prefix,
            "etcd_ttl": str(ttl)}


def wait_leader(etcd, node_id, timeout=30, prefix="/repmgr/test/"):
    wait_until(lambda: etcd.get(prefix + "leader") == str(node_id), timeout=timeout,
               what=f"node {node_id} to hold the leader key")



