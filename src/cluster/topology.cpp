#include "cluster/topology.hpp"

#include <algorithm>

namespace repmgr {

std::optional<PrimaryConnection> find_primary(Connection& any, const std::string& schema,
                                              int connect_timeout_s) {
    NodeRepository repo(any);
    std::vector<NodeRecord> nodes = repo.all();
    // Recorded active primaries first, then the rest (a node promoted by hand
    // may not be recorded yet).
    std::stable_partition(nodes.begin(), nodes.end(), [](const NodeRecord& n) {
        return n.type == NodeType::Master && n.active;
    });
    for (const auto& node : nodes) {
        if (node.type == NodeType::Witness) continue;
        try {
            Connection conn = Connection::open(node.conninfo, connect_timeout_s);
            if (conn.in_recovery()) continue;
            use_metadata_schema(conn, schema);
            return PrimaryConnection{std::move(conn), node};
        } catch (const Failure&) {
            continue;
        }
    }
    return std::nullopt;
}

}  // namespace repmgr
