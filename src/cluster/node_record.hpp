#pragma once

// A node as repl_nodes records it: plain data, no database access, so that
// pure code (repmgrd's decide()) can hold records too.

#include <optional>
#include <string>
#include <string_view>

namespace repmgr {

enum class NodeType { Master, Standby, Witness };

std::string_view node_type_name(NodeType type);   // as stored: master|standby|witness
std::string_view node_role_label(NodeType type);  // as shown: primary|standby|witness
NodeType parse_node_type(std::string_view text);

struct NodeRecord {
    int id = 0;
    NodeType type = NodeType::Standby;
    std::optional<int> upstream_node_id;
    std::string cluster;
    std::string name;
    std::string conninfo;
    std::optional<std::string> slot_name;
    int priority = 100;
    bool active = true;
    std::string location = "default";
    // Absolute path of the node's repmgr.conf (schema 6; unset when an older
    // version registered it): the -f of commands run there over ssh.
    std::optional<std::string> config_file;

    bool same_registration(const NodeRecord& other) const;
};

}  // namespace repmgr
