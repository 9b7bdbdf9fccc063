"""The fault suite's client: runs inside the client namespace and inserts
numbered rows through a multi-host conninfo (target_session_attrs=read-write)
as fast as it can, one autocommit INSERT at a time. Each attempt is logged as
"<id> ok|err|unknown <unix time>": ok = the commit was acknowledged, err = the
server refused it (not committed), unknown = the connection broke or timed out
before an answer (it may or may not have committed).

A commit that does not answer within --timeout seconds is abandoned by
shutting the socket down, never by a query cancel: a cancelled wait for
synchronous replication answers "success" with only a warning."""

import argparse
import os
import socket
import sys
import threading
import time

import psycopg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--conninfo", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--stop-file", required=True)
    ap.add_argument("--run", type=int, required=True)
    ap.add_argument("--timeout", type=float, default=4.0)
    args = ap.parse_args()

    out = open(args.out, "a", buffering=1)
    conn = None
    n = 0
    while not os.path.exists(args.stop_file):
        if conn is None:
            try:
                conn = psycopg.connect(args.conninfo, autocommit=True)
            except Exception:  # noqa: BLE001 - no primary reachable right now
                time.sleep(0.1)
                continue
        n += 1
        row_id = args.run * 10_000_000 + n
        sock = socket.socket(fileno=os.dup(conn.pgconn.socket))
        timer = threading.Timer(args.timeout, lambda s=sock: _abandon(s))
        timer.start()
        try:
            conn.execute("INSERT INTO fault_rows (id, run) VALUES (%s, %s)", (row_id, args.run))
            outcome = "ok"
        except psycopg.OperationalError:
            outcome = "unknown"
        except psycopg.Error:
            outcome = "err"
        finally:
            timer.cancel()
            sock.close()
        out.write(f"{row_id} {outcome} {time.time():.3f}\n")
        if outcome != "ok":
            try:
                conn.close()
            except Exception:  # noqa: BLE001
                pass
            conn = None
            time.sleep(0.05)
    out.close()
    return 0


def _abandon(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


if __name__ == "__main__":
    sys.exit(main())
