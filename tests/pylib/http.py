"""repmgrd's HTTP endpoints as the tests reach them: a repmgr.conf with HTTP on
a free loopback port, and plain requests to it."""

import urllib.error
import urllib.request

from pylib.conf import FAST_FAILOVER, write_conf
from pylib.harness import free_port


def http_conf(node, node_id, **extra):
    """repmgr.conf with fast failover settings and HTTP on a free loopback port."""
    node.http_port = free_port()
    return write_conf(node, node_id, {**FAST_FAILOVER, "http_listen_address": "'127.0.0.1'",
                                      "http_port": str(node.http_port)}, **extra)


def get(node, path, method="GET"):
    """(status, body) of an HTTP request to the node's repmgrd."""
    req = urllib.request.Request(f"http://127.0.0.1:{node.http_port}{path}", method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:  # not listening (yet)
        return None, str(e)


def code(node, path):
    return get(node, path)[0]
