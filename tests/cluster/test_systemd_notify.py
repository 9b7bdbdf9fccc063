"""repmgrd tells systemd (Type=notify) when it is ready, reloading, alive and
stopping: a socket standing in for systemd's $NOTIFY_SOCKET receives it all."""

import os
import signal
import socket

from pylib.wait import wait_until


def test_repmgrd_notifies_systemd(harness, registered_pair):
    _, standby = registered_pair
    path = harness.path("notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    os.chmod(path, 0o777)  # repmgrd runs as the unprivileged user
    sock.settimeout(30)
    received = []

    def got(prefix):
        while not any(m.startswith(prefix) for m in received):
            received.append(sock.recv(4096).decode())
        return True

    try:
        d = harness.start_repmgrd(standby, env={"NOTIFY_SOCKET": path})
        assert got("READY=1")
        ready = next(m for m in received if m.startswith("READY=1"))
        assert 'STATUS=monitoring node 2 ("node2")' in ready
        assert got("WATCHDOG=1")
        d.signal(signal.SIGHUP)
        assert got("RELOADING=1")
        wait_until(lambda: "SIGHUP received" in d.log(), what="the reload")
        received.clear()
        assert got("READY=1")  # reload finished
        d.signal(signal.SIGTERM)
        assert got("STOPPING=1")
        assert d.wait(30) == 0
    finally:
        sock.close()
