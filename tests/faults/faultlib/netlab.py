"""A private network for fault tests: one network namespace per host, joined
by a bridge that lives in its own namespace, on a 10.213.x.0/24 subnet.

The root namespace has no route to that subnet, so a stray connection from
outside the namespaces would leave the machine. A blackhole
route for the subnet goes in first and comes out last, and every client runs
inside a namespace. Faults are nftables rules and tc qdiscs inside the host
namespaces; heal() removes all of them."""

import os
import random
import subprocess

from pylib.harness import RUN_AS


def sh(*args, check=True):
    proc = subprocess.run(list(args), capture_output=True, text=True, timeout=60)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc


class Host:
    def __init__(self, lab, name, index):
        self.lab = lab
        self.name = name
        self.ns = f"{lab.tag}-{name}"
        self.ip = f"{lab.subnet_prefix}.{index}"
        self.veth = f"{lab.tag}{index}"  # <= 15 characters, unique per lab

    def argv(self, args, as_user=True):
        """args run inside this host's namespace (as the unprivileged user):
        `ip netns exec` and setpriv both exec, so the process started is the
        command itself and signals reach it directly."""
        prefix = ["ip", "netns", "exec", self.ns]
        if as_user:
            prefix += ["setpriv", f"--reuid={RUN_AS}", f"--regid={RUN_AS}", "--clear-groups", "--"]
        return prefix + list(args)

    def nft(self, script):
        proc = subprocess.run(["ip", "netns", "exec", self.ns, "nft", "-f", "-"], input=script,
                              capture_output=True, text=True, timeout=30)
        if proc.returncode != 0:
            raise RuntimeError(f"nft in {self.ns} failed: {proc.stderr.strip()}\n{script}")


class NetLab:
    def __init__(self):
        pid = os.getpid()
        self.tag = f"rf{pid % 100000}"
        self.subnet_prefix = f"10.213.{20 + pid % 200}"
        self.subnet = f"{self.subnet_prefix}.0/24"
        self.bridge_ns = f"{self.tag}-br"
        self.hosts = {}
        self._route = False
        self._bridge = False

    def create(self):
        # First of all, so nothing addressed to the subnet can leave the machine.
        sh("ip", "route", "add", "blackhole", self.subnet)
        self._route = True
        sh("ip", "netns", "add", self.bridge_ns)
        self._bridge = True
        sh("ip", "-n", self.bridge_ns, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", self.bridge_ns, "link", "set", "br0", "up")
        return self

    def add_host(self, name):
        h = Host(self, name, len(self.hosts) + 1)
        sh("ip", "netns", "add", h.ns)
        sh("ip", "link", "add", h.veth, "type", "veth", "peer", "name", "eth0", "netns", h.ns)
        sh("ip", "link", "set", h.veth, "netns", self.bridge_ns)
        sh("ip", "-n", self.bridge_ns, "link", "set", h.veth, "master", "br0")
        sh("ip", "-n", self.bridge_ns, "link", "set", h.veth, "up")
        sh("ip", "-n", h.ns, "addr", "add", f"{h.ip}/24", "dev", "eth0")
        sh("ip", "-n", h.ns, "link", "set", "eth0", "up")
        sh("ip", "-n", h.ns, "link", "set", "lo", "up")
        self.hosts[name] = h
        return h

    # --- faults -------------------------------------------------------------
    def block(self, host, peers):
        """host drops every packet from and to `peers` (both directions)."""
        ips = ", ".join(p.ip for p in peers)
        if not ips:
            return
        host.nft(f"""table inet fault {{
  chain in {{ type filter hook input priority 0; ip saddr {{ {ips} }} drop; }}
  chain out {{ type filter hook output priority 0; ip daddr {{ {ips} }} drop; }}
}}
""")

    def isolate(self, host):
        """Cuts host off from every other host of the lab."""
        self.block(host, [h for h in self.hosts.values() if h is not host])

    def partition(self, *groups):
        """Hosts see only the hosts of their own group (a host in no group
        keeps seeing everybody)."""
        for group in groups:
            others = [h for g in groups if g is not group for h in g]
            for h in group:
                self.block(h, others)

    def stall_streams(self, host, streams):
        """host stops sending on the given TCP connections ((ip, port) of the
        far end, from its local port 5432): the WAL streams to those standbys
        stall in transit while every other connection works."""
        rules = " ".join(f"ip daddr {ip} tcp sport 5432 tcp dport {port} drop;"
                         for ip, port in streams)
        if rules:
            host.nft(f"""table inet stall {{
  chain out {{ type filter hook output priority 0; {rules} }}
}}
""")

    def drop_from(self, src, dst_hosts, percent):
        """One-way loss: dst_hosts drop `percent`% of the packets src sends them."""
        for dst in dst_hosts:
            dst.nft(f"""table inet fault {{
  chain in {{ type filter hook input priority 0; ip saddr {src.ip} numgen random mod 100 < {percent} drop; }}
}}
""")

    def rate_limit(self, host, rate="256kbit"):
        """A slow link: tbf on host's outgoing traffic."""
        sh("ip", "netns", "exec", host.ns, "tc", "qdisc", "replace", "dev", "eth0", "root", "tbf",
           "rate", rate, "burst", "16kb", "latency", "500ms")

    def heal(self):
        for h in self.hosts.values():
            sh("ip", "netns", "exec", h.ns, "nft", "flush", "ruleset", check=False)
            sh("ip", "netns", "exec", h.ns, "tc", "qdisc", "del", "dev", "eth0", "root",
               check=False)

    def destroy(self):
        for h in list(self.hosts.values()):
            sh("ip", "netns", "del", h.ns, check=False)
        self.hosts.clear()
        if self._bridge:
            sh("ip", "netns", "del", self.bridge_ns, check=False)
            self._bridge = False
        if self._route:
            sh("ip", "route", "del", "blackhole", self.subnet, check=False)
            self._route = False


def random_split(rng: random.Random, hosts):
    """Two random halves of hosts."""
    hs = list(hosts)
    rng.shuffle(hs)
    half = len(hs) // 2
    return hs[:half], hs[half:]
