#pragma once

#include <string>

#include "db/connection.hpp"
#include "util/log.hpp"

namespace repmgr {

// Creates a physical replication slot unless it exists already.
void create_slot_if_missing(Connection& conn, const std::string& slot_name);

// Drops a physical slot when it exists and nothing streams from it; logs why not otherwise.
void drop_slot_if_unused(Connection& conn, const std::string& slot_name, Logger& log);

}  // namespace repmgr
