#include "cluster/clone_source.hpp"

namespace repmgr {

ServerFacts read_server_facts(Connection& conn) {
    ServerFacts f;
    Row r = conn.one_row(
        "SELECT pg_postmaster_start_time()::text || '/' || current_setting('port') AS instance_id, "
        "       current_setting('server_version_num')::int AS version_num, "
        "       pg_is_in_recovery() AS in_recovery, "
        "       current_setting('wal_level') AS wal_level, "
        "       current_setting('max_wal_senders')::int AS max_wal_senders, "
        "       (SELECT count(*) FROM pg_stat_replication) AS active_wal_senders, "
        "       current_setting('max_replication_slots')::int AS max_replication_slots, "
        "       (SELECT count(*) FROM pg_replication_slots) AS used_replication_slots, "
        "       EXISTS (SELECT 1 FROM pg_tablespace "
        "               WHERE spcname NOT IN ('pg_default', 'pg_global')) AS has_user_tablespaces");
    f.instance_id = r.text("instance_id");
    f.version_num = static_cast<int>(r.integer("version_num"));
    f.in_recovery = r.boolean("in_recovery");
    f.wal_level = r.text("wal_level");
    f.max_wal_senders = static_cast<int>(r.integer("max_wal_senders"));
    f.active_wal_senders = static_cast<int>(r.integer("active_wal_senders"));
    f.max_replication_slots = static_cast<int>(r.integer("max_replication_slots"));
    f.used_replication_slots = static_cast<int>(r.integer("used_replication_slots"));
    f.has_user_tablespaces = r.boolean("has_user_tablespaces");
    // File locations are hidden from users without pg_read_all_settings:
    // pg_settings then simply has no row for them.
    for (const Row& s : conn.exec("SELECT name, setting FROM pg_settings WHERE name IN "
                                  "('data_directory', 'config_file', 'hba_file', 'ident_file')")
                            .all()) {
        std::string name = s.text("name");
        if (name == "data_directory") f.data_directory = s.text("setting");
        if (name == "config_file") f.config_file = s.text("setting");
        if (name == "hba_file") f.hba_file = s.text("setting");
        if (name == "ident_file") f.ident_file = s.text("setting");
    }
    return f;
}

bool wal_level_allows_standbys(const std::string& wal_level) {
    return wal_level == "replica" || wal_level == "logical" || wal_level == "hot_standby" ||
           wal_level == "archive";
}

std::optional<SlotState> replication_slot_state(Connection& conn, const std::string& slot_name) {
    auto row = conn.opt_row(
        "SELECT active, restart_lsn IS NOT NULL AS reserves_wal, slot_type "
        "FROM pg_replication_slots WHERE slot_name = $1",
        slot_name);
    if (!row) return std::nullopt;
    return SlotState{.active = row->boolean("active"), .reserves_wal = row->boolean("reserves_wal")};
}

bool create_reserving_slot(Connection& conn, const std::string& slot_name) {
    return conn
               .exec("SELECT pg_create_physical_replication_slot($1, true) WHERE NOT EXISTS "
                     "(SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)",
                     slot_name)
               .rows() == 1;
}

void drop_replication_slot(Connection& conn, const std::string& slot_name) {
    conn.exec(
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
        "WHERE slot_name = $1 AND NOT active",
        slot_name);
}

std::string backup_start(Connection& conn, const std::string& label, bool fast_checkpoint) {
    return conn.one_row("SELECT pg_backup_start($1, $2)::text AS lsn", label, fast_checkpoint)
        .text("lsn");
}

BackupStop backup_stop(Connection& conn) {
    // wait_for_archive => false: with a failing archive_command the server would
    // wait forever; the WAL the copy needs is fetched from pg_wal instead.
    Row r = conn.one_row(
        "SELECT lsn::text AS lsn, labelfile, spcmapfile FROM pg_backup_stop(false)");
    return BackupStop{.stop_lsn = r.text("lsn"),
                      .backup_label = r.text("labelfile"),
                      .tablespace_map = r.text("spcmapfile")};
}

std::string read_server_file(Connection& conn, const std::string& path) {
    return conn.one_row("SELECT pg_read_file($1) AS content", path).text("content");
}

}  // namespace repmgr
