#include "cluster/node_checks.hpp"

#include <fmt/format.h>

namespace repmgr {
namespace {

// The position everything on this server is measured from: the WAL end on a
// primary, what has been replayed on a standby (pg_current_wal_lsn() fails
// during recovery).
constexpr const char* kLocalEndSql =
    "CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END";

std::vector<SlotFacts> read_slots(Connection& conn) {
    std::vector<SlotFacts> out;
    Result r = conn.exec(fmt::format(
        "SELECT slot_name, slot_type, active, "
        "pg_wal_lsn_diff({}, restart_lsn)::bigint AS retained "
        "FROM pg_replication_slots ORDER BY slot_name",
        kLocalEndSql));
    for (const auto& row : r.all())
        out.push_back(SlotFacts{row.text("slot_name"), row.text("slot_type"),
                                row.boolean("active"), row.opt_int("retained")});
    return out;
}

ArchiveFacts read_archive(Connection& conn) {
    ArchiveFacts a;
    Row row = conn.one_row(
        "SELECT current_setting('archive_mode') AS mode, "
        "current_setting('archive_command') AS command, archived_count, failed_count, "
        "COALESCE(last_archived_wal, '') AS last_archived, "
        "COALESCE(last_failed_wal, '') AS last_failed, "
        "COALESCE(to_char(last_failed_time, 'YYYY-MM-DD HH24:MI:SS'), '') AS failed_at "
        "FROM pg_stat_archiver");
    a.archive_mode = row.text("mode");
    a.archive_command = row.text("command");
    a.archived_count = row.integer("archived_count");
    a.failed_count = row.integer("failed_count");
    a.last_archived_wal = row.text("last_archived");
    a.last_failed_wal = row.text("last_failed");
    a.last_failed_time = row.text("failed_at");
    try {
        a.ready_count = conn.one_row("SELECT count(*) AS n FROM pg_ls_archive_statusdir() "
                                     "WHERE name LIKE '%.ready'")
                            .integer("n");
    } catch (const DbError& e) {
        // Listing pg_wal/archive_status needs superuser or pg_monitor.
        a.ready_error = e.detail().empty() ? e.what() : e.detail();
    }
    return a;
}

std::vector<DownstreamFacts> read_downstream(Connection& conn) {
    std::vector<DownstreamFacts> out;
    Result r = conn.exec(fmt::format(
        "SELECT COALESCE(application_name, '') AS name, "
        "COALESCE(host(client_addr), 'local') AS addr, COALESCE(state, '') AS state, "
        "COALESCE(sync_state, '') AS sync_state, "
        "pg_wal_lsn_diff({}, replay_lsn)::bigint AS lag "
        "FROM pg_stat_replication ORDER BY application_name",
        "CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn() "
        "ELSE pg_current_wal_lsn() END"));
    for (const auto& row : r.all())
        out.push_back(DownstreamFacts{row.text("name"), row.text("addr"), row.text("state"),
                                      row.opt_int("lag"), row.text("sync_state")});
    return out;
}

}  // namespace

std::optional<WalReceiverFacts> read_wal_receiver(Connection& conn) {
    auto row = conn.opt_row(
        "SELECT status, COALESCE(sender_host, '') AS host, sender_port, "
        "COALESCE(slot_name, '') AS slot FROM pg_stat_wal_receiver");
    if (!row) return std::nullopt;
    WalReceiverFacts w;
    w.status = row->text("status");
    w.sender_host = row->text("host");
    if (auto port = row->opt_int("sender_port")) w.sender_port = static_cast<int>(*port);
    w.slot_name = row->text("slot");
    return w;
}

NodeServerFacts read_node_server_facts(Connection& conn) {
    NodeServerFacts f;
    Row basics = conn.one_row(
        "SELECT current_setting('server_version') AS version, pg_is_in_recovery() AS recovery, "
        "current_setting('max_wal_senders')::int AS senders, "
        "current_setting('max_replication_slots')::int AS slots, "
        "(SELECT sum(pg_database_size(oid)) FROM pg_database WHERE datallowconn)::bigint AS size");
    f.version = basics.text("version");
    f.in_recovery = basics.boolean("recovery");
    f.max_wal_senders = static_cast<int>(basics.integer("senders"));
    f.max_replication_slots = static_cast<int>(basics.integer("slots"));
    f.database_size_bytes = basics.opt_int("size").value_or(0);

    if (f.in_recovery) {
        WalPosition pos = standby_position(conn);
        f.timeline = pos.timeline;
        f.current_lsn = pos.lsn;
        f.replay = replay_state(conn);
        if (auto lag = replay_delay(conn).lag_seconds) f.lag_seconds = std::max(0.0, *lag);
        f.wal_receiver = read_wal_receiver(conn);
    } else {
        // The timeline of the segment being written: right after a promotion
        // pg_control's checkpoint still names the old one.
        f.timeline = static_cast<int>(
            conn.one_row("SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))"
                         "::bit(32)::int AS tli")
                .integer("tli"));
        f.current_lsn = current_flush_lsn(conn);
    }
    f.slots = read_slots(conn);
    f.archive = read_archive(conn);
    f.downstream = read_downstream(conn);
    return f;
}

MetadataFacts read_metadata_facts(Connection& conn, const std::string& schema, int node_id) {
    MetadataFacts m;
    try {
        use_metadata_schema(conn, schema);
        NodeRepository repo(conn);
        m.nodes = repo.all();
        for (const auto& n : m.nodes)
            if (n.id == node_id) m.self = n;
        auto events = list_events(conn, EventFilter{node_id, std::nullopt, 1});
        if (!events.empty()) m.last_event = events.front();
    } catch (const Failure& f) {
        m.error = f.what();
    }
    return m;
}

std::optional<NodeRecord> expected_upstream(const MetadataFacts& meta) {
    if (!meta.self || meta.self->type != NodeType::Standby) return std::nullopt;
    for (const auto& n : meta.nodes) {
        if (meta.self->upstream_node_id ? n.id == *meta.self->upstream_node_id
                                        : (n.type == NodeType::Master && n.active))
            return n;
    }
    return std::nullopt;
}

std::vector<NodeRecord> expected_downstream(const MetadataFacts& meta, int node_id) {
    std::optional<int> active_primary;
    for (const auto& n : meta.nodes)
        if (n.type == NodeType::Master && n.active) active_primary = n.id;
    std::vector<NodeRecord> out;
    for (const auto& n : meta.nodes) {
        if (n.type != NodeType::Standby || !n.active || n.id == node_id) continue;
        int upstream = n.upstream_node_id.value_or(active_primary.value_or(0));
        if (upstream == node_id) out.push_back(n);
    }
    return out;
}

UpstreamFacts read_upstream_facts(const NodeRecord& upstream, const std::string& application_name,
                                  int timeout_s) {
    UpstreamFacts u;
    u.node = upstream;
    try {
        Connection conn = Connection::open(upstream.conninfo, timeout_s);
        u.reachable = true;
        u.streams_to_us = is_streaming_to(conn, application_name);
        u.lsn = conn.in_recovery() ? replay_state(conn).receive : current_flush_lsn(conn);
    } catch (const Failure& f) {
        u.error = f.detail().empty() ? f.what() : f.detail();
    }
    return u;
}

}  // namespace repmgr
