#pragma once

#include "db/connection.hpp"

namespace repmgr {

// Replaces the witness's copy of repl_nodes with the primary's, in one
// transaction on the witness (the witness's database is not a replica, so its
// metadata is kept in sync by copying). Both connections must already use the
// cluster's metadata schema. Returns the number of node records copied.
int copy_node_records(Connection& primary, Connection& witness);

// pg_control_system()'s system_identifier: tells whether two connections
// reach the same PostgreSQL instance (or a physical copy of it).
std::string system_identifier(Connection& conn);

// Creates database `dbname` on the server `admin` is connected to, unless it
// exists (a witness created again over an old data directory keeps its data).
void ensure_database(Connection& admin, const std::string& dbname);

// The contents of the server's pg_hba.conf (superuser only).
std::string read_hba_file(Connection& conn);

}  // namespace repmgr
