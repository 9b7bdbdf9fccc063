#pragma once

// repmgr 5's own metadata (its extension's schema "repmgr"), read to take a
// live repmgr 5 cluster over without registering each node by hand.

#include <optional>
#include <string>
#include <vector>

#include "db/connection.hpp"

namespace repmgr {

// One row of repmgr 5's repmgr.nodes, as repmgr 5 wrote it (type is its
// word: primary, standby, witness or bdr).
struct Repmgr5Node {
    int id = 0;
    std::optional<int> upstream_node_id;
    bool active = true;
    std::string name;
    std::string type;
    std::string location;
    int priority = 100;
    std::string conninfo;
    std::optional<std::string> slot_name;    // NULL or empty: none
    std::optional<std::string> config_file;  // NULL or empty: not recorded
};

// Whether this server has repmgr 5's node table (its extension installed).
bool repmgr5_metadata_exists(Connection& conn);

// Every row of repmgr.nodes, by node id.
std::vector<Repmgr5Node> read_repmgr5_nodes(Connection& conn);

// Whether repmgr 5's repmgrd runs for this server (its extension's own
// answer, from the shared memory of the preloaded library); nullopt when the
// server cannot say (no extension, or the library is not preloaded).
std::optional<bool> repmgr5_daemon_running(Connection& conn);

}  // namespace repmgr
