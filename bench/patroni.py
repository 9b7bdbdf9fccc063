"""A Patroni 3.0.2 cluster (Debian's `patroni`) for the failover comparison:
three PostgreSQL 15 nodes on 127.0.0.1 bootstrapped by Patroni itself (initdb
on the first node, pg_basebackup for the others) with the same server
settings as the harness's template, and a three-member etcd 3.4 (the test
library's) reached through Patroni's `etcd3` section (v3 API). Everything
runs as the unprivileged user and is torn down through the harness: the
Patronis first (as daemons), then etcd (a cleanup), then any postmaster
still running (the harness's nodes)."""

import json
import os
import signal
import urllib.request

from clusters import UserProcess
from pylib.etcd import EtcdCluster
from pylib.harness import PG_BIN, Harness, free_port, user_env
from pylib.wait import wait_until

PATRONI = "/usr/bin/patroni"

# Patroni's defaults, and the tuned timing (Patroni requires
# loop_wait + 2 * retry_timeout <= ttl): 1 + 2*4 = 9 <= 10.
PATRONI_DEFAULT = {"ttl": 30, "loop_wait": 10, "retry_timeout": 10}
PATRONI_TUNED = {"ttl": 10, "loop_wait": 1, "retry_timeout": 4}

# The harness template's server settings (pylib.harness.initdb_with_test_settings)
# plus the preloaded repmgr library every other cluster of the bench carries.
SERVER_PARAMETERS = {
    "listen_addresses": "127.0.0.1", "wal_level": "replica", "max_wal_senders": 10,
    "max_replication_slots": 10, "hot_standby": "on", "wal_keep_size": "64MB",
    "fsync": "off", "synchronous_commit": "on", "shared_buffers": "16MB",
    "max_connections": 30, "wal_log_hints": "on", "logging_collector": "off",
    "shared_preload_libraries": "repmgr",
}
PG_HBA = ["local all all trust", "local replication all trust",
          "host all all 127.0.0.1/32 trust", "host replication all 127.0.0.1/32 trust"]


class PatroniProcess(UserProcess):
    """One Patroni in the foreground as the unprivileged user; the harness
    teardown stops it (SIGTERM: Patroni stops its PostgreSQL, then exits)."""

    stop_timeout = 40

    def __init__(self, node, conf):
        super().__init__()
        self.node, self.conf = node, conf

    def start(self):
        return self.spawn([PATRONI, self.conf], os.path.join(self.node.confdir, "patroni.log"),
                          user_env(), self.node.confdir, getattr(self.node, "host", None))

    def kill9(self):
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)


class PatroniCluster:
    """Three Patroni nodes; `primary` is the one that bootstrapped."""

    def __init__(self, prefix, template_cache, timing, scope, harness=None, make_etcd=None):
        """`harness` and `make_etcd` (harness -> started etcd): bench/hostdeath.py's,
        which put every node and etcd member in its own network namespace."""
        self.h = harness or Harness(prefix, template_cache)
        self.make_etcd = make_etcd or (lambda h: EtcdCluster(h).start())
        self.timing = dict(timing)
        self.scope = scope
        self.etcd = None
        self.patronis = {}   # node name -> PatroniProcess
        self.api_ports = {}  # node name -> REST API port
        self.primary = None
        self.standbys = []

    def _config(self, node):
        api = self.api_ports[node.name]
        hosts = ",".join(m.client_url.split("//", 1)[1] for m in self.etcd.members)
        host = getattr(node, "host", None)  # a network namespace: its address, its socket dir
        addr = host.ip if host else "127.0.0.1"
        params = dict(SERVER_PARAMETERS, listen_addresses=addr,
                      unix_socket_directories=node.confdir if host else self.h.socket_dir)
        hba = PG_HBA + ([f"host all all {host.lab.subnet} trust",
                         f"host replication all {host.lab.subnet} trust"] if host else [])
        return {
            "scope": self.scope, "namespace": "/service/", "name": node.name,
            "log": {"level": "INFO"},
            "restapi": {"listen": f"{addr}:{api}", "connect_address": f"{addr}:{api}"},
            "etcd3": {"hosts": hosts},
            "bootstrap": {
                "dcs": dict(self.timing, maximum_lag_on_failover=1048576,
                            postgresql={"use_pg_rewind": False, "use_slots": True,
                                        "parameters": params}),
                "initdb": [{"encoding": "UTF8"}, {"auth": "trust"}],
            },
            "postgresql": {
                "listen": f"{addr}:{node.port}", "connect_address": f"{addr}:{node.port}",
                "data_dir": node.datadir, "bin_dir": PG_BIN,
                "pgpass": os.path.join(node.confdir, "pgpass"),
                "authentication": {"superuser": {"username": "postgres"},
                                   "replication": {"username": "postgres"}},
                "parameters": params, "pg_hba": hba,
                "basebackup": [{"checkpoint": "fast"}],
            },
            "watchdog": {"mode": "off"},
        }

    def _start_node(self, name):
        node = self.h.node(name)
        os.makedirs(node.confdir, exist_ok=True)
        self.h.chown(node.confdir)
        self.api_ports[name] = free_port()
        conf = os.path.join(node.confdir, "patroni.yml")
        with open(conf, "w") as f:
            json.dump(self._config(node), f, indent=1)  # JSON is YAML
        self.h.chown(conf)
        p = PatroniProcess(node, conf).start()
        self.h.daemons.append(p)
        self.patronis[name] = p
        return node

    def build(self):
        """etcd, then node1 (initdb, takes the leader key), then node2 and
        node3 (cloned by Patroni); returns once both stream from node1."""
        from clusters import is_writable_primary, streams_from
        self.etcd = self.make_etcd(self.h)
        self.primary = self._start_node("node1")
        wait_until(lambda: is_writable_primary(self.primary),
                   timeout=120, interval=0.2, what="Patroni to bootstrap node1 as the primary")
        for name in ("node2", "node3"):
            self.standbys.append(self._start_node(name))
        for s in self.standbys:
            wait_until(lambda s=s: streams_from(s, self.primary), timeout=120, interval=0.2,
                       what=f"Patroni's {s.name} to stream from node1")
        return self

    def role(self, name):
        """The role Patroni's REST API reports for `name` (None if it does not answer)."""
        try:
            url = f"http://127.0.0.1:{self.api_ports[name]}/patroni"
            with urllib.request.urlopen(url, timeout=2) as r:
                return json.loads(r.read()).get("role")
        except (OSError, ValueError):
            return None

    def all_alive(self):
        return all(p.alive() for p in self.patronis.values())

    def log(self, name):
        path = os.path.join(self.h.base, name, "patroni.log")
        try:
            with open(path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def teardown(self):
        self.h.teardown()
