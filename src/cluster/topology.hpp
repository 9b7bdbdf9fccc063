#pragma once

#include <optional>
#include <string>

#include "cluster/nodes.hpp"
#include "db/connection.hpp"

namespace repmgr {

struct PrimaryConnection {
    Connection conn;
    NodeRecord node;
};

// Finds the writable primary using the node list readable through `any`
// (a node of the cluster with the metadata schema): first the node recorded
// as active primary, then any other registered node that is not in recovery.
// The returned connection already uses the metadata schema.
std::optional<PrimaryConnection> find_primary(Connection& any, const std::string& schema,
                                              int connect_timeout_s = 5);

}  // namespace repmgr
