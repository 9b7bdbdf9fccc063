"""What the tests read back from the servers: repmgr's metadata (repl_nodes,
repl_events) and server state (streaming, writable)."""

SCHEMA = "repmgr_test"  # the metadata schema of cluster "test"
WITH_DETAILS = "node_id, successful, details"  # columns for events()


def nodes(node, columns="id, type, upstream_node_id, active"):
    """repl_nodes rows (`columns`) by id, as `node` has them."""
    return node.sql(f"SELECT {columns} FROM {SCHEMA}.repl_nodes ORDER BY id", dbname="repmgr")


def events(node, event=None, columns="node_id, successful"):
    """repl_events rows (`columns`) in the order they were recorded, as `node`
    has them; only those of `event` when given."""
    where, params = ("WHERE event = %s", (event,)) if event else ("", None)
    return node.sql(f"SELECT {columns} FROM {SCHEMA}.repl_events {where} "
                    "ORDER BY event_timestamp, ctid", params, dbname="repmgr")


def streams_from(upstream, standby_name):
    """True when the standby named `standby_name` streams from `upstream`."""
    return upstream.sql_one("SELECT count(*) FROM pg_stat_replication "
                            "WHERE application_name = %s AND state = 'streaming'",
                            (standby_name,)) == 1


def writable(node, timeout=None):
    """True when the server is up, out of recovery and not fenced read-only;
    False when it is down, frozen or refusing. `timeout` (seconds) bounds both
    connecting and the query; without it, connecting waits up to 5 s and the
    query is not bounded."""
    try:
        with node.connect(timeout=timeout or 5) as conn:
            if timeout:
                conn.execute(f"SET statement_timeout = {int(timeout * 1000)}")
            return conn.execute("SELECT NOT pg_is_in_recovery() AND "
                                "current_setting('default_transaction_read_only') = 'off'"
                                ).fetchone()[0]
    except Exception:  # noqa: BLE001 - down, frozen or refusing: not writable
        return False
