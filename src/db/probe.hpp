#pragma once

#include <optional>
#include <string>
#include <vector>

#include "db/connection.hpp"

namespace repmgr {

// Outcome of connecting to one node.
struct ProbeResult {
    std::optional<Connection> connection;  // set when connected
    std::string error;                     // libpq's message otherwise
};

// Connects to every conninfo at once with non-blocking libpq, so that N dead
// hosts cost about one timeout in total, not one each. Results are in input order.
std::vector<ProbeResult> connect_all(const std::vector<std::string>& conninfos, int timeout_s);

}  // namespace repmgr
