#include "cluster/repmgr5.hpp"

namespace repmgr {

bool repmgr5_metadata_exists(Connection& conn) {
    return conn.one_row("SELECT to_regclass('repmgr.nodes') IS NOT NULL AS e").boolean("e");
}

std::vector<Repmgr5Node> read_repmgr5_nodes(Connection& conn) {
    // NULLIF: repmgr 5 writes an empty string where it has no value.
    Result r = conn.exec(
        "SELECT node_id, upstream_node_id, active, node_name, type, location, priority, "
        "conninfo, NULLIF(slot_name, '') AS slot_name, NULLIF(config_file, '') AS config_file "
        "FROM repmgr.nodes ORDER BY node_id");
    std::vector<Repmgr5Node> out;
    for (const auto& row : r.all()) {
        Repmgr5Node n;
        n.id = static_cast<int>(row.integer("node_id"));
        if (auto up = row.opt_int("upstream_node_id")) n.upstream_node_id = static_cast<int>(*up);
        n.active = row.boolean("active");
        n.name = row.text("node_name");
        n.type = row.text("type");
        n.location = row.text("location");
        n.priority = static_cast<int>(row.integer("priority"));
        n.conninfo = row.text("conninfo");
        n.slot_name = row.opt_text("slot_name");
        n.config_file = row.opt_text("config_file");
        out.push_back(std::move(n));
    }
    return out;
}

std::optional<bool> repmgr5_daemon_running(Connection& conn) {
    try {
        return conn.one_row("SELECT repmgr.repmgrd_is_running() AS r").boolean("r");
    } catch (const DbError&) {
        return std::nullopt;
    }
}

}  // namespace repmgr
