-- repmgr metadata, created by "primary register" in schema repmgr_<cluster>
-- (the search_path is set to that schema before this script runs).
-- Every statement is idempotent: running the script on an older schema
-- upgrades it in place, and repl_schema_version records the result.

CREATE TABLE IF NOT EXISTS repl_schema_version (
  version     INTEGER NOT NULL,
  upgraded_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS repl_nodes (
  id               INTEGER PRIMARY KEY,
  type             TEXT    NOT NULL CHECK (type IN ('master', 'standby', 'witness')),
  upstream_node_id INTEGER NULL,
  cluster          TEXT    NOT NULL,
  name             TEXT    NOT NULL UNIQUE,
  conninfo         TEXT    NOT NULL,
  slot_name        TEXT    NULL,
  priority         INTEGER NOT NULL DEFAULT 100,
  active           BOOLEAN NOT NULL DEFAULT TRUE
);
ALTER TABLE repl_nodes ADD COLUMN IF NOT EXISTS location TEXT NOT NULL DEFAULT 'default';

CREATE TABLE IF NOT EXISTS repl_events (
  node_id         INTEGER NOT NULL,
  event           TEXT    NOT NULL,
  successful      BOOLEAN NOT NULL DEFAULT TRUE,
  event_timestamp TIMESTAMPTZ NOT NULL DEFAULT now(),
  details         TEXT    NULL
);
CREATE INDEX IF NOT EXISTS repl_events_timestamp_idx ON repl_events (event_timestamp);

CREATE TABLE IF NOT EXISTS repl_monitor (
  primary_node              INTEGER     NOT NULL,
  standby_node              INTEGER     NOT NULL,
  last_monitor_time         TIMESTAMPTZ NOT NULL,
  last_apply_time           TIMESTAMPTZ,
  last_wal_primary_location PG_LSN      NOT NULL,
  last_wal_standby_location PG_LSN,
  last_wal_standby_replayed PG_LSN,
  replication_lag           BIGINT      NOT NULL,
  apply_lag                 BIGINT      NOT NULL,
  apply_lag_seconds         DOUBLE PRECISION
);
CREATE INDEX IF NOT EXISTS repl_monitor_idx ON repl_monitor (standby_node, last_monitor_time);

CREATE OR REPLACE VIEW repl_show_nodes AS
  SELECT rn.id, rn.conninfo, rn.type, rn.name, rn.cluster, rn.priority, rn.active,
         sq.name AS upstream_node_name
    FROM repl_nodes AS rn
    LEFT JOIN repl_nodes AS sq ON sq.id = rn.upstream_node_id;

CREATE OR REPLACE VIEW repl_status AS
  SELECT m.primary_node, m.standby_node, n.name AS standby_name, n.type AS node_type,
         n.active, m.last_monitor_time,
         m.last_wal_primary_location, m.last_wal_standby_location,
         m.last_wal_standby_replayed,
         pg_size_pretty(m.replication_lag) AS replication_lag,
         m.replication_lag AS replication_lag_bytes,
         CASE WHEN m.apply_lag > 0 THEN age(now(), m.last_apply_time)
              ELSE '0'::interval END AS replication_time_lag,
         pg_size_pretty(m.apply_lag) AS apply_lag,
         m.apply_lag_seconds,
         age(now(), m.last_monitor_time) AS communication_time_lag
    FROM repl_monitor AS m
    JOIN repl_nodes AS n ON m.standby_node = n.id
   WHERE (m.standby_node, m.last_monitor_time) IN
         (SELECT m1.standby_node, max(m1.last_monitor_time)
            FROM repl_monitor AS m1 GROUP BY 1);

-- repmgrd's state per node, always written on the primary (a standby's own
-- copy of this schema is a read-only replica): the pid of the running repmgrd
-- (NULL after a clean stop), when it last reported, and the pause flag set by
-- "repmgr daemon pause", which outlives repmgrd restarts.
CREATE TABLE IF NOT EXISTS repl_daemon (
  node_id       INTEGER     PRIMARY KEY,
  pid           INTEGER     NULL,
  paused        BOOLEAN     NOT NULL DEFAULT FALSE,
  interval_secs INTEGER     NULL,
  started_at    TIMESTAMPTZ NULL,
  last_seen     TIMESTAMPTZ NULL
);

-- Schema version 5: what repmgrd decided at its last report, and why, so that
-- "repmgr daemon status" can say why a node did (not) fail over.
ALTER TABLE repl_daemon ADD COLUMN IF NOT EXISTS state TEXT NULL;
ALTER TABLE repl_daemon ADD COLUMN IF NOT EXISTS reason TEXT NULL;

-- Failover terms, used on the witness (the arbiter): the first standby to
-- insert the row for a (failed primary, timeline) pair wins that failover and
-- is the only one that promotes; every other candidate reads the row and
-- follows the winner. INSERT ... ON CONFLICT DO NOTHING makes the claim atomic.
CREATE TABLE IF NOT EXISTS repl_failover_claim (
  failed_primary_id INTEGER     NOT NULL,
  primary_timeline  INTEGER     NOT NULL,
  winner_node_id    INTEGER     NOT NULL,
  claimed_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (failed_primary_id, primary_timeline)
);
-- Schema version 4: a claim whose winner dies before promoting must not block
-- the cluster. The winner has until promote_by (witness clock) to confirm the
-- claim (confirmed_at), which it does right before promoting; an unconfirmed
-- claim past its deadline may be taken over by the best other candidate, and
-- the winners passed over that way are listed in superseded_node_ids. Both the
-- confirmation and the takeover are single conditional UPDATEs of this row, so
-- the row lock serializes them and exactly one of the two succeeds.
-- Claims written by an older version have no deadline and are never taken over.
ALTER TABLE repl_failover_claim ADD COLUMN IF NOT EXISTS promote_by TIMESTAMPTZ NULL;
ALTER TABLE repl_failover_claim ADD COLUMN IF NOT EXISTS confirmed_at TIMESTAMPTZ NULL;
ALTER TABLE repl_failover_claim
  ADD COLUMN IF NOT EXISTS superseded_node_ids INTEGER[] NOT NULL DEFAULT '{}';

-- Schema version 6: the absolute path of each node's repmgr.conf, recorded by
-- "primary|standby|witness register" (repmgr 5's repmgr.nodes.config_file).
-- Commands run on that node over ssh (switchover's rejoin of the old primary,
-- siblings following) pass it with -f unless remote_config_file overrides it.
-- NULL for nodes registered by an older version: re-register them with -F.
ALTER TABLE repl_nodes ADD COLUMN IF NOT EXISTS config_file TEXT NULL;

-- Schema version 7: a primary's repmgrd reports its own server's crash here
-- (used on the witness, where every standby looks during a failover). One row
-- per node, the latest report: the postmaster named in postmaster.pid is gone
-- (not a timeout: a frozen server is never reported) and did not come back
-- within primary_restart_grace. A standby honours it only when it names the
-- node it considers the primary, on the timeline it last read from it, and
-- was written after its last contact with that primary; it then skips the
-- reconnect attempts. The election, the claim and the fences are unchanged.
CREATE TABLE IF NOT EXISTS repl_crash_report (
  node_id          INTEGER     PRIMARY KEY,
  timeline         INTEGER     NOT NULL,
  reporter_node_id INTEGER     NOT NULL,
  reported_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Schema version 8: zero data loss (synchronous=on|strict, docs/failover.md).
-- The primary's repmgrd records here the standbys that may have acknowledged
-- a commit (zero-loss candidates): it widens the set before it changes
-- synchronous_standby_names and narrows it only once the new names are in
-- effect and the new synchronous standbys hold everything acknowledged
-- before. A failover in these modes promotes only a node of this set. One
-- row; version grows with every write, so a reader holding two copies (its
-- replica of the primary's metadata and the witness's) takes the newer one.
-- Written with synchronous_commit=local so that it never waits for a standby.
CREATE TABLE IF NOT EXISTS repl_zero_loss (
  id              INTEGER     PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  candidate_ids   INTEGER[]   NOT NULL,
  primary_node_id INTEGER     NOT NULL,
  version         BIGINT      NOT NULL,
  recorded_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Schema version 9: etcd_failsafe (docs/etcd.md, "Failsafe"). With
-- arbiter=etcd, a standby whose repmgrd cannot reach etcd writes here, on
-- the primary it streams from, every tick: "I cannot reach etcd, and I will
-- not take the leader key for etcd_ttl seconds from now". A primary that
-- cannot renew its lease stays writable only while every other registered
-- node has such a promise that lasts beyond its next check. The age is read
-- by the primary's own clock (pledged_at is its clock too).
CREATE TABLE IF NOT EXISTS repl_failsafe_pledge (
  node_id    INTEGER     PRIMARY KEY,
  pledged_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
