#pragma once

#include <string>

#include "config/conninfo.hpp"

namespace repmgr {

// The postgresql.conf lines (port, listen_addresses) that make a new witness
// server reachable at the conninfo it is registered with: the TCP addresses
// of `hostaddr`, else of `host` (socket directories and empty entries are not
// addresses), each value quoted for the configuration file. Without any TCP
// address PostgreSQL's default (localhost) stays. Throws Failure(BadConfig)
// for a port that is not one number from 1 to 65535.
std::string witness_server_settings(const Conninfo& conninfo);

}  // namespace repmgr
