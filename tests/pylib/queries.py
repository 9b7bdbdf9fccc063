"""What the tests read back from the servers: repmgr's metadata (repl_nodes,
repl_events) and server state (streaming, writable)."""
import psycopg

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


# The strong writable probe (issue 15): a read-only default is no fence, since
# any session can turn it off. A one-row table in the postgres database; the
# upsert keeps it one row however often the fault suite samples.
_PROBE_UPSERT = ("INSERT INTO writable_probe VALUES (1, clock_timestamp()) "
                 "ON CONFLICT (id) DO UPDATE SET at = excluded.at")


def writable(node, timeout=None):
    """True when a session on the server can commit a write: it turns
    default_transaction_read_only off (as any client may) and commits an
    INSERT (locally: a commit waiting for a synchronous standby is a write
    clients of this server see). False when it is down, frozen, in recovery
    or refusing. `timeout` (seconds) bounds both connecting and the
    statements; without it, connecting waits up to 5 s and the statements
    are not bounded."""
    try:
        with node.connect(timeout=timeout or 5) as conn:
            if timeout:
                conn.execute(f"SET statement_timeout = {int(timeout * 1000)}")
            conn.execute("SET default_transaction_read_only = off")
            conn.execute("SET synchronous_commit = local")
            try:
                conn.execute(_PROBE_UPSERT)
            except psycopg.errors.UndefinedTable:
                # A standby refuses the CREATE as it refuses the INSERT.
                try:
                    conn.execute("CREATE TABLE IF NOT EXISTS writable_probe "
                                 "(id int PRIMARY KEY, at timestamptz NOT NULL)")
                except (psycopg.errors.UniqueViolation, psycopg.errors.DuplicateTable):
                    pass  # created at the same moment by another probe (a WritableSampler)
                conn.execute(_PROBE_UPSERT)
            return True
    except Exception:  # noqa: BLE001 - down, frozen or refusing: not writable
        return False


def fence_in_config(node):
    """True when the server's configuration sets default_transaction_read_only
    (the isolation fence, written by ALTER SYSTEM), whatever its role: a
    standby's copy would bite after a later promotion."""
    return node.sql_one("SELECT reset_val FROM pg_settings "
                        "WHERE name = 'default_transaction_read_only'") == "on"


def read_only_by_default(node):
    """True when the server is a primary whose new sessions start read-only
    (the isolation fence's default_transaction_read_only, which a session can
    still turn off: writable() says whether one can write)."""
    return node.sql_one("SELECT NOT pg_is_in_recovery() AND "
                        "current_setting('default_transaction_read_only') = 'on'")
