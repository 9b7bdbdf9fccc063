#pragma once

#include <optional>
#include <string>

#include "db/connection.hpp"

namespace repmgr {

// What `standby clone` needs to know about the server it copies from and the
// server the new standby will stream from. All of it is server state read over
// one libpq connection; nothing here changes the server.
struct ServerFacts {
    // Tells two connections to the same running server apart from connections
    // to two members of one cluster (which share the system identifier).
    std::string instance_id;
    int version_num = 0;
    bool in_recovery = false;
    std::string wal_level;
    int max_wal_senders = 0;
    int active_wal_senders = 0;
    int max_replication_slots = 0;
    int used_replication_slots = 0;
    std::string data_directory;  // empty when the user may not read it
    std::string config_file;
    std::string hba_file;
    std::string ident_file;
    bool has_user_tablespaces = false;
};

ServerFacts read_server_facts(Connection& conn);

// Whether wal_level lets a standby replay this server's WAL.
bool wal_level_allows_standbys(const std::string& wal_level);

struct SlotState {
    bool active = false;
    bool reserves_wal = false;  // restart_lsn is set
};
std::optional<SlotState> replication_slot_state(Connection& conn, const std::string& slot_name);

// Creates a physical slot that reserves WAL at once, so that nothing the new
// standby needs is recycled between the copy and its first connection.
// Returns false when the slot existed already.
bool create_reserving_slot(Connection& conn, const std::string& slot_name);
void drop_replication_slot(Connection& conn, const std::string& slot_name);

// Non-exclusive low-level backup (PostgreSQL 15 names). The backup belongs to
// the session: if the connection drops, the server aborts it by itself.
std::string backup_start(Connection& conn, const std::string& label, bool fast_checkpoint);
struct BackupStop {
    std::string stop_lsn;
    std::string backup_label;
    std::string tablespace_map;
};
BackupStop backup_stop(Connection& conn);

// A file of the server's host, read through the server (needs superuser or
// pg_read_server_files).
std::string read_server_file(Connection& conn, const std::string& path);

}  // namespace repmgr
