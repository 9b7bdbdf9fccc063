"""repmgrd's HTTP endpoints on real servers: status codes of /health /primary
/replica, the /status JSON, /metrics as strict Prometheus text, HEAD, and an
HAProxy on loopback that follows a failover through /primary."""

import json
import os
import re
import shutil
import socket
import subprocess

import psycopg
import pytest

from pylib.clusters import make_cluster
from pylib.http import code, get, http_conf
from pylib.harness import free_port
from pylib.wait import wait_until


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
                    r'(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*)?\})? '
                    r'(-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|NaN|[+-]Inf)$')


def parse_prometheus(text):
    """Strict parse of the text exposition format: {name: [(labels, value)]}.
    Every sample line must match `name{labels} value` and belong to a metric
    announced before it by exactly one HELP and one TYPE line."""
    assert text.endswith("\n")
    helped, typed, samples = set(), {}, {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name = line.split(" ")[2]
            assert name not in helped, f"second HELP for {name}"
            assert len(line.split(" ", 3)) == 4, f"HELP without text: {line!r}"
            helped.add(name)
        elif line.startswith("# TYPE "):
            parts = line.split(" ")
            assert len(parts) == 4 and parts[3] in ("counter", "gauge", "histogram", "summary",
                                                    "untyped"), line
            assert parts[2] not in typed, f"second TYPE for {parts[2]}"
            typed[parts[2]] = parts[3]
        else:
            m = SAMPLE.match(line)
            assert m, f"not a sample line: {line!r}"
            name = m.group(1)
            assert name in helped and name in typed, f"{name} has no HELP/TYPE before it"
            samples.setdefault(name, []).append((m.group(3) or "", float(m.group(5))))
    assert helped == set(typed), "every metric needs both HELP and TYPE"
    return samples


def make_pair(harness):
    primary = harness.primary("node1")
    http_conf(primary, 1)
    r = harness.repmgr("primary", "register", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    standby = harness.standby_of(primary, "node2")
    http_conf(standby, 2)
    r = harness.repmgr("standby", "register", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    daemons = {n.name: harness.start_repmgrd(n) for n in (primary, standby)}
    wait_until(lambda: code(primary, "/primary") == 200, timeout=30, what="primary /primary 200")
    wait_until(lambda: code(standby, "/replica") == 200, timeout=30, what="standby /replica 200")
    return primary, standby, daemons


def test_endpoints_on_primary_and_standby(harness):
    primary, standby, daemons = make_pair(harness)
    assert code(primary, "/health") == 200
    assert code(primary, "/replica") == 503
    assert code(standby, "/health") == 200
    assert code(standby, "/primary") == 503
    assert code(primary, "/nonexistent") == 404
    assert code(standby, "/replica?max_lag_bytes=oops") == 400

    status, body = get(primary, "/status")
    assert status == 200
    p = json.loads(body)
    assert (p["node_id"], p["node_name"], p["role"]) == (1, "node1", "primary")
    assert p["legitimate_primary"] is True and p["server"]["in_recovery"] is False
    assert p["server"]["timeline"] == 1 and p["upstream"] is None
    assert p["repmgrd"]["state"] == "monitoring"
    assert p["repmgrd"]["reason"].startswith("primary is running")
    assert any(e["event"] == "repmgrd_start" for e in p["last_events"])

    s = json.loads(get(standby, "/status")[1])
    assert (s["node_id"], s["role"], s["legitimate_primary"]) == (2, "standby", False)
    assert s["upstream"]["node_id"] == 1 and s["upstream"]["node_name"] == "node1"
    assert s["server"]["streaming"] is True and s["lsn"]["replayed"]
    assert s["lag"]["bytes"] is not None
    assert s["repmgrd"]["reason"] == "standby is running; upstream node 1 answers"

    for node, role in ((primary, "primary"), (standby, "standby")):
        status, text = get(node, "/metrics")
        assert status == 200
        m = parse_prometheus(text)
        assert m["repmgr_up"] == [("", 1.0)]
        assert (f'role="{role}"', 1.0) in m["repmgr_role"]
        assert sum(v for _, v in m["repmgr_role"]) == 1
        assert m["repmgr_timeline"] == [("", 1.0)]
        assert m["repmgr_failovers_total"] == [("", 0.0)]
        assert m["repmgr_last_check_age_seconds"][0][1] >= 0
        for name in ("repmgr_replication_lag_bytes", "repmgr_replication_lag_seconds"):
            assert name in m or role == "primary"

    # HEAD: the same status, no body
    for node, path, expected in ((primary, "/primary", 200), (standby, "/primary", 503),
                                 (standby, "/replica", 200), (primary, "/health", 200),
                                 (primary, "/status", 200), (standby, "/metrics", 200)):
        assert get(node, path, method="HEAD") == (expected, ""), (node.name, path)

    # The local server going away shows in /health and /metrics.
    standby.stop()
    wait_until(lambda: code(standby, "/health") == 503, timeout=30, what="standby /health 503")
    assert code(standby, "/replica") == 503
    assert parse_prometheus(get(standby, "/metrics")[1])["repmgr_up"] == [("", 0.0)]
    standby.start()
    wait_until(lambda: code(standby, "/replica") == 200, timeout=30, what="standby back")
    assert all(d.alive() for d in daemons.values())


def test_replica_lag_limit(harness):
    primary, standby, _ = make_pair(harness)
    assert code(standby, "/replica?max_lag_bytes=100000000&max_lag_s=3600") == 200
    standby.sql("SELECT pg_wal_replay_pause()")
    try:
        primary.sql("CREATE TABLE filler AS SELECT g, repeat('x', 100) AS pad "
                    "FROM generate_series(1, 20000) g", dbname="repmgr")
        wait_until(lambda: code(standby, "/replica?max_lag_bytes=1000") == 503, timeout=30,
                   what="/replica?max_lag_bytes=1000 to turn 503")
        status, body = get(standby, "/replica?max_lag_bytes=1000")
        assert "bytes behind" in body
        # still a streaming standby without a limit, or with a generous one
        assert code(standby, "/replica") == 200
        assert code(standby, "/replica?max_lag_bytes=1000000000") == 200
        lag = parse_prometheus(get(standby, "/metrics")[1])["repmgr_replication_lag_bytes"]
        assert lag[0][1] > 1000
    finally:
        standby.sql("SELECT pg_wal_replay_resume()")
    wait_until(lambda: code(standby, "/replica?max_lag_bytes=100000") == 200, timeout=30,
               what="/replica to recover after replay resumed")


def test_fenced_primary_is_not_primary(harness):
    """A primary made read-only (the isolation fence) must drop out of /primary,
    and come back once the fence is lifted. Paused, repmgrd leaves the fence
    alone (unpaused it would lift it at once: it sees a majority)."""
    primary, standby, _ = make_pair(harness)
    r = harness.repmgr("daemon", "pause", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    wait_until(lambda: json.loads(get(primary, "/status")[1])["repmgrd"]["paused"],
               what="repmgrd to see the pause")
    primary.sql("ALTER SYSTEM SET default_transaction_read_only = on")
    primary.sql("SELECT pg_reload_conf()")
    wait_until(lambda: code(primary, "/primary") == 503, timeout=30, what="fenced primary 503")
    assert "fenced read-only" in get(primary, "/primary")[1]
    assert code(primary, "/health") == 200
    primary.sql("ALTER SYSTEM RESET default_transaction_read_only")
    primary.sql("SELECT pg_reload_conf()")
    wait_until(lambda: code(primary, "/primary") == 200, timeout=30,
               what="/primary 200 once the fence is lifted")
    r = harness.repmgr("daemon", "unpause", conf=primary.conf)
    assert r.returncode == 0, r.stderr


def test_port_in_use_is_a_clear_startup_error(harness):
    primary = harness.primary("node1")
    http_conf(primary, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", primary.http_port))
        holder.listen(1)
        r = harness.repmgrd(conf=primary.conf, timeout=30)
    assert r.returncode == 1, r.stderr
    assert f"cannot serve HTTP on 127.0.0.1:{primary.http_port}" in r.stderr
    assert "HINT" in r.stderr and "http_port" in r.stderr


# ---- HAProxy ---------------------------------------------------------------------

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"


def haproxy_config(frontend_port, nodes):
    servers = "\n".join(f"    server {n.name} 127.0.0.1:{n.port} check port {n.http_port}"
                        for n in nodes)
    return f"""global
    maxconn 100

defaults
    mode tcp
    timeout connect 2s
    timeout client 60s
    timeout server 60s

frontend postgres_primary
    bind 127.0.0.1:{frontend_port}
    default_backend primary

backend primary
    option httpchk GET /primary
    http-check expect status 200
    default-server inter 500ms fall 2 rise 2 on-marked-down shutdown-sessions
{servers}
"""


def write_through(port, value):
    """Inserts `value` through HAProxy; returns the port of the server that took it."""
    try:
        with psycopg.connect(f"host=127.0.0.1 port={port} user=repmgr dbname=repmgr",
                             autocommit=True, connect_timeout=3) as conn:
            conn.execute("INSERT INTO through_haproxy VALUES (%s)", (value,))
            return conn.execute("SELECT inet_server_port()").fetchone()[0]
    except psycopg.Error:
        return None


@pytest.fixture
def haproxy(harness):
    """Starts HAProxy with a given config; always stopped at teardown."""
    procs = []

    def start(config_text):
        path = harness.write_file("haproxy/haproxy.cfg", config_text)
        check = subprocess.run([HAPROXY, "-c", "-f", path], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        log = open(harness.path("haproxy", "haproxy.log"), "w")
        procs.append(subprocess.Popen([HAPROXY, "-db", "-f", path], stdout=log,
                                      stderr=subprocess.STDOUT))
        return procs[-1]

    yield start
    for p in procs:
        p.kill()
        p.wait(10)


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists(HAPROXY), reason="haproxy is not installed")
def test_haproxy_follows_failover(harness, haproxy):
    primary, standbys, w, _ = make_cluster(harness, write_conf=http_conf)
    for s in standbys:
        wait_until(lambda s=s: code(s, "/replica") == 200, timeout=30, what=f"{s.name} streaming")
    assert code(w, "/primary") == 503

    primary.sql("CREATE TABLE through_haproxy (v int)", dbname="repmgr")
    frontend = free_port()
    haproxy(haproxy_config(frontend, [primary] + standbys))
    wait_until(lambda: write_through(frontend, 1) == primary.port, timeout=30,
               what="writes through HAProxy to reach node1")

    primary.kill9()
    new_port = wait_until(
        lambda: (lambda p: p if p in (standbys[0].port, standbys[1].port) else None)(
            write_through(frontend, 2)),
        timeout=90, interval=0.5, what="writes through HAProxy to reach the new primary")
    winner = next(s for s in standbys if s.port == new_port)
    assert code(winner, "/primary") == 200
    other = next(s for s in standbys if s is not winner)
    assert code(other, "/primary") == 503
    assert winner.sql_one("SELECT count(*) FROM through_haproxy WHERE v = 2",
                          dbname="repmgr") >= 1
    m = parse_prometheus(get(winner, "/metrics")[1])
    assert m["repmgr_failovers_total"] == [("", 1.0)]
    assert m["repmgr_timeline"] == [("", 2.0)]
