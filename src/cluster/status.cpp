#include "cluster/status.hpp"

#include <map>

#include <fmt/format.h>

#include "db/probe.hpp"

namespace repmgr {

std::string NodeStatus::status_text() const {
    if (!reachable) return node.active ? "? unreachable" : "- failed";
    if (node.type == NodeType::Master && in_recovery) return "! running as standby";
    if (node.type == NodeType::Standby && !in_recovery) return "! running as primary";
    if (!node.active) return "! running (inactive)";
    return "* running";
}

std::optional<std::string> NodeStatus::issue() const {
    std::string who = fmt::format("node \"{}\" (ID: {})", node.name, node.id);
    if (!reachable)
        return node.active ? std::optional(fmt::format("unable to connect to {}: {}", who, error))
                           : std::nullopt;
    if (node.type == NodeType::Master && in_recovery)
        return fmt::format("{} is registered as primary but is running as a standby", who);
    if (node.type == NodeType::Standby && !in_recovery)
        return fmt::format("{} is registered as standby but is running as a primary", who);
    if (!node.active) return fmt::format("{} is marked inactive but is running", who);
    return std::nullopt;
}

std::vector<NodeStatus> probe_cluster(Connection& conn, int default_timeout_s) {
    std::vector<NodeRecord> nodes = NodeRepository(conn).all();
    std::map<int, std::string> names;
    for (const auto& n : nodes) names[n.id] = n.name;

    std::vector<std::string> conninfos;
    for (const auto& n : nodes) conninfos.push_back(n.conninfo);
    std::vector<ProbeResult> probes = connect_all(conninfos, default_timeout_s);

    std::vector<NodeStatus> out;
    for (size_t i = 0; i < nodes.size(); ++i) {
        NodeStatus s;
        s.node = nodes[i];
        if (nodes[i].upstream_node_id) {
            auto it = names.find(*nodes[i].upstream_node_id);
            s.upstream_name = it != names.end() ? it->second
                                                : fmt::format("? ({})", *nodes[i].upstream_node_id);
        }
        if (probes[i].connection) {
            try {
                s.in_recovery = probes[i].connection->in_recovery();
                s.reachable = true;
            } catch (const Failure& f) {
                s.error = f.detail();
            }
        } else {
            s.error = probes[i].error;
        }
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace repmgr
