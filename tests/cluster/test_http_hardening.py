"""repmgrd's HTTP endpoints against hostile or careless clients: the listening
socket is not inherited by the commands repmgrd runs (a restarted repmgrd binds
and answers every request), a client sending a byte a second is cut off while
/health keeps answering others, oversized requests are refused."""

import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from pylib.conf import conf_quote
from pylib.http import code, get, http_conf
from pylib.wait import wait_until


def listening_inode(port):
    """Inode of the socket listening on 127.0.0.1:port (from /proc/net/tcp)."""
    want = f"0100007F:{port:04X}"
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[1] == want and fields[3] == "0A":  # 0A: LISTEN
                return fields[9]
    return None


def socket_inodes(pid):
    found = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            found.add(target[len("socket:["):-1])
    return found


def kill_all(pidfile):
    """Kills the sleepers listed in pidfile and removes it."""
    if not os.path.exists(pidfile):
        return
    for pid in open(pidfile).read().split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass
    os.unlink(pidfile)


def start_primary(harness, **extra):
    primary = harness.primary("node1")
    http_conf(primary, 1, **extra)
    r = harness.repmgr("primary", "register", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    daemon = harness.start_repmgrd(primary)
    wait_until(lambda: code(primary, "/health") in (200, 403), timeout=30, what="/health answers")
    return primary, daemon


def test_children_do_not_inherit_the_port(harness):
    """A command repmgrd runs (here the event notification, which leaves a
    sleeper behind as pg_ctl leaves a postmaster) must not hold the HTTP port:
    a restarted repmgrd binds it alone and answers every request."""
    primary = harness.primary("node1")
    pidfile = os.path.join(primary.confdir, "sleeper.pid")
    command = f"sh -c 'sleep 60 </dev/null >/dev/null 2>&1 & echo $! >> {pidfile}'"
    http_conf(primary, 1, event_notification_command=conf_quote(command))
    r = harness.repmgr("primary", "register", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    sleepers = []
    try:
        # register's own event left a sleeper too: kill it, watch repmgrd's only
        kill_all(pidfile)
        daemon = harness.start_repmgrd(primary)
        wait_until(lambda: code(primary, "/health") == 200, timeout=30, what="/health 200")
        wait_until(lambda: os.path.exists(pidfile) and open(pidfile).read().strip(), timeout=30,
                   what="the notification command to start its sleeper")
        sleepers = [int(p) for p in open(pidfile).read().split()]
        inode = listening_inode(primary.http_port)
        assert inode is not None
        for pid in sleepers:
            assert inode not in socket_inodes(pid), f"process {pid} inherited the HTTP port"

        daemon.stop()
        wait_until(lambda: code(primary, "/health") is None, timeout=10, what="port closed")
        harness.start_repmgrd(primary)
        wait_until(lambda: code(primary, "/health") == 200, timeout=30,
                   what="the restarted repmgrd to answer /health")
        # Had the sleeper kept a listening socket on the port (SO_REUSEPORT),
        # the kernel would hand it some of these connections, never answered.
        for _ in range(30):
            assert code(primary, "/health") == 200
    finally:
        kill_all(pidfile)


def quick_health(node):
    """/health within one second, from a client of its own."""
    req = urllib.request.Request(f"http://127.0.0.1:{node.http_port}/health")
    with urllib.request.urlopen(req, timeout=1) as resp:
        return resp.status


def test_slow_client_is_cut_off_and_others_are_served(harness):
    primary, _ = start_primary(harness)
    slow = socket.create_connection(("127.0.0.1", primary.http_port), timeout=30)
    try:
        request = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 100
        cut_off = False
        started = time.monotonic()
        for byte in request:
            try:
                slow.sendall(bytes([byte]))
            except OSError:  # reset by the server
                cut_off = True
                break
            assert quick_health(primary) == 200  # others answered meanwhile
            time.sleep(1)
            slow.setblocking(False)
            try:
                slow.recv(4096)  # EOF, or an error answer before the close
                cut_off = True
                break
            except BlockingIOError:
                pass
            except OSError:
                cut_off = True
                break
            finally:
                slow.setblocking(True)
        assert cut_off, "a client sending a byte a second was never cut off"
        assert time.monotonic() - started < 30
    finally:
        slow.close()
    assert quick_health(primary) == 200


def raw_exchange(port, data):
    """Sends data, returns everything the server answers until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        try:
            s.sendall(data)
        except OSError:
            pass
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def test_oversized_requests_are_refused(harness):
    primary, _ = start_primary(harness)
    port = primary.http_port
    # a body, although no endpoint takes one: refused (413, or the connection
    # closed once the library's discarding of the body meets the byte budget)
    answer = raw_exchange(port, b"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
    assert answer == b"" or answer.startswith(b"HTTP/1.1 413"), answer[:100]
    # headers beyond the per-connection budget: no answer but a closed connection
    many = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 100) for i in range(1000))
    answer = raw_exchange(port, b"GET /health HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")
    assert not answer.startswith(b"HTTP/1.1 200"), answer[:100]
    # and the server is fine
    assert get(primary, "/health")[0] == 200


def test_second_repmgrd_cannot_share_the_port(harness):
    """The library's default SO_REUSEPORT let a second process of the same user
    bind the port too and take a share of the health checks; without it, a
    second repmgrd configured for the same port refuses to start."""
    primary, daemon = start_primary(harness)
    second = os.path.join(primary.confdir, "second.conf")
    with open(primary.conf) as f:
        text = f.read()
    with open(second, "w") as f:
        f.write(text.replace("node=1", "node=2").replace("node_name=node1", "node_name=other"))
    harness.chown(second)
    r = harness.repmgrd(conf=second, timeout=30)
    assert r.returncode == 1, r.stderr
    assert f"cannot serve HTTP on 127.0.0.1:{primary.http_port}" in r.stderr
    assert daemon.alive() and code(primary, "/health") == 200


def test_https_with_a_self_signed_certificate(harness, tmp_path):
    primary = harness.primary("node1")
    cert = os.path.join(primary.confdir, "http.crt")
    key = os.path.join(primary.confdir, "http.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    for f in (cert, key):
        harness.chown(f)
    os.chmod(key, 0o600)
    http_conf(primary, 1, http_tls_cert=f"'{cert}'", http_tls_key=f"'{key}'",
              http_allowed_clients="'127.0.0.1/32, ::1'")
    r = harness.repmgr("primary", "register", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    harness.start_repmgrd(primary)
    verified = ssl.create_default_context(cafile=cert)
    url = f"https://127.0.0.1:{primary.http_port}/health"

    def https_health():
        try:
            with urllib.request.urlopen(url, timeout=5, context=verified) as resp:
                return resp.status
        except OSError:
            return None

    wait_until(lambda: https_health() == 200, timeout=30, what="/health over HTTPS")
    # plain HTTP on the HTTPS port gets no answer
    assert code(primary, "/health") is None
    # a client that does not trust the certificate refuses it
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, timeout=5, context=ssl.create_default_context())
    # a byte-a-second TLS client is cut off too (the handshake counts)
    with socket.create_connection(("127.0.0.1", primary.http_port), timeout=30) as slow:
        slow.sendall(b"\x16")
        started = time.monotonic()
        slow.settimeout(20)
        try:
            assert slow.recv(100) == b""
        except ConnectionResetError:
            pass
        assert time.monotonic() - started < 20
    assert https_health() == 200


def test_client_not_in_the_allow_list_gets_403(harness):
    primary, _ = start_primary(harness, http_allowed_clients="'10.0.0.0/8, ::1'")
    for path in ("/health", "/primary", "/status", "/metrics", "/nonexistent"):
        status, body = get(primary, path)
        assert (status, body) == (403, "forbidden\n"), path
    assert get(primary, "/status", method="HEAD")[0] == 403
