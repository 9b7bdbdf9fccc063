#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cluster/nodes.hpp"
#include "db/connection.hpp"

namespace repmgr {

// What a node looks like right now compared with what the metadata says.
struct NodeStatus {
    NodeRecord node;
    bool reachable = false;
    bool in_recovery = false;
    std::string error;          // connection error when unreachable
    std::string upstream_name;  // from the metadata

    // "* running", "! running as primary", "? unreachable", "- failed", ...
    std::string status_text() const;
    // A sentence for the warnings list, or nullopt when all is as recorded.
    std::optional<std::string> issue() const;
};

// Reads repl_nodes through `conn` and probes every node in parallel.
std::vector<NodeStatus> probe_cluster(Connection& conn, int default_timeout_s = 5);

}  // namespace repmgr
