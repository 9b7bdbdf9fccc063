#include "cluster/nodes.hpp"

#include <fmt/format.h>

namespace repmgr::sql {
extern const std::string_view kSchema;
}

namespace repmgr {
namespace {

// config_file through to_jsonb(): a schema older than version 6 has no such
// column, and reading its records must keep working (NULL then).
constexpr std::string_view kNodeColumns =
    "SELECT id, type, upstream_node_id, cluster, name, conninfo, slot_name, priority, active, "
    "location, to_jsonb(repl_nodes) ->> 'config_file' AS config_file FROM repl_nodes ";

NodeRecord from_row(const Row& row) {
    NodeRecord n;
    n.id = static_cast<int>(row.integer("id"));
    n.type = parse_node_type(row.text("type"));
    if (auto up = row.opt_int("upstream_node_id")) n.upstream_node_id = static_cast<int>(*up);
    n.cluster = row.text("cluster");
    n.name = row.text("name");
    n.conninfo = row.text("conninfo");
    n.slot_name = row.opt_text("slot_name");
    n.priority = static_cast<int>(row.integer("priority"));
    n.active = row.boolean("active");
    n.location = row.text("location");
    n.config_file = row.opt_text("config_file");
    return n;
}

std::vector<NodeRecord> from_result(const Result& r) {
    std::vector<NodeRecord> out;
    for (const auto& row : r.all()) out.push_back(from_row(row));
    return out;
}

}  // namespace

std::string_view node_type_name(NodeType type) {
    switch (type) {
        case NodeType::Master: return "master";
        case NodeType::Standby: return "standby";
        case NodeType::Witness: return "witness";
    }
    return "standby";
}

std::string_view node_role_label(NodeType type) {
    return type == NodeType::Master ? "primary" : node_type_name(type);
}

NodeType parse_node_type(std::string_view text) {
    if (text == "master" || text == "primary") return NodeType::Master;
    if (text == "witness") return NodeType::Witness;
    return NodeType::Standby;
}

bool NodeRecord::same_registration(const NodeRecord& o) const {
    return id == o.id && type == o.type && upstream_node_id == o.upstream_node_id &&
           cluster == o.cluster && name == o.name && conninfo == o.conninfo &&
           priority == o.priority && active == o.active && location == o.location &&
           config_file == o.config_file;
}

std::vector<NodeRecord> NodeRepository::all() {
    return from_result(conn_.exec(std::string(kNodeColumns) + "ORDER BY id"));
}

std::optional<NodeRecord> NodeRepository::by_id(int id) {
    auto row = conn_.opt_row(std::string(kNodeColumns) + "WHERE id = $1", id);
    if (!row) return std::nullopt;
    return from_row(*row);
}

std::optional<NodeRecord> NodeRepository::by_name(const std::string& name) {
    auto row = conn_.opt_row(std::string(kNodeColumns) + "WHERE name = $1", name);
    if (!row) return std::nullopt;
    return from_row(*row);
}

std::optional<NodeRecord> NodeRepository::active_primary() {
    auto rows = from_result(conn_.exec(std::string(kNodeColumns) +
                                       "WHERE type = 'master' AND active ORDER BY id"));
    if (rows.empty()) return std::nullopt;
    return rows.front();
}

void NodeRepository::upsert(const NodeRecord& n) {
    if (stores_config_file()) {
        conn_.exec(
            "INSERT INTO repl_nodes (id, type, upstream_node_id, cluster, name, conninfo, "
            "slot_name, priority, active, location, config_file) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
            "ON CONFLICT (id) DO UPDATE SET type = EXCLUDED.type, "
            "upstream_node_id = EXCLUDED.upstream_node_id, cluster = EXCLUDED.cluster, "
            "name = EXCLUDED.name, conninfo = EXCLUDED.conninfo, slot_name = EXCLUDED.slot_name, "
            "priority = EXCLUDED.priority, active = EXCLUDED.active, location = EXCLUDED.location, "
            "config_file = COALESCE(EXCLUDED.config_file, repl_nodes.config_file)",
            n.id, node_type_name(n.type), n.upstream_node_id, n.cluster, n.name, n.conninfo,
            n.slot_name, n.priority, n.active, n.location, n.config_file);
        return;
    }
    conn_.exec(
        "INSERT INTO repl_nodes (id, type, upstream_node_id, cluster, name, conninfo, slot_name, "
        "priority, active, location) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
        "ON CONFLICT (id) DO UPDATE SET type = EXCLUDED.type, "
        "upstream_node_id = EXCLUDED.upstream_node_id, cluster = EXCLUDED.cluster, "
        "name = EXCLUDED.name, conninfo = EXCLUDED.conninfo, slot_name = EXCLUDED.slot_name, "
        "priority = EXCLUDED.priority, active = EXCLUDED.active, location = EXCLUDED.location",
        n.id, node_type_name(n.type), n.upstream_node_id, n.cluster, n.name, n.conninfo,
        n.slot_name, n.priority, n.active, n.location);
}

bool NodeRepository::stores_config_file() {
    if (!stores_config_file_)
        stores_config_file_ =
            conn_.one_row("SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = "
                          "'repl_nodes'::regclass AND attname = 'config_file' AND NOT "
                          "attisdropped) AS e")
                .boolean("e");
    return *stores_config_file_;
}

bool NodeRepository::remove(int id) {
    return conn_.exec("DELETE FROM repl_nodes WHERE id = $1", id).affected() > 0;
}

void NodeRepository::set_active(int id, bool active) {
    conn_.exec("UPDATE repl_nodes SET active = $2 WHERE id = $1", id, active);
}

void NodeRepository::set_upstream(int id, std::optional<int> upstream) {
    conn_.exec("UPDATE repl_nodes SET upstream_node_id = $2 WHERE id = $1", id, upstream);
}

void NodeRepository::set_slot_name(int id, const std::optional<std::string>& slot) {
    conn_.exec("UPDATE repl_nodes SET slot_name = $2 WHERE id = $1", id, slot);
}

void NodeRepository::make_primary(int id) {
    conn_.exec(
        "UPDATE repl_nodes SET type = 'master', upstream_node_id = NULL, active = TRUE "
        "WHERE id = $1",
        id);
}

bool metadata_schema_exists(Connection& conn, const std::string& schema) {
    return conn.one_row("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS e", schema)
        .boolean("e");
}

void install_metadata_schema(Connection& conn, const std::string& schema) {
    // An identifier cannot be a bound parameter; libpq quotes it (and the
    // cluster name was already restricted to [A-Za-z0-9_]).
    conn.exec_script("CREATE SCHEMA IF NOT EXISTS " + conn.quote_identifier(schema));
    conn.set_search_path(schema);
    conn.exec_script(sql::kSchema);
    conn.exec(
        "INSERT INTO repl_schema_version (version) SELECT $1::int WHERE NOT EXISTS "
        "(SELECT 1 FROM repl_schema_version WHERE version >= $1::int)",
        kSchemaVersion);
}

void use_metadata_schema(Connection& conn, const std::string& schema) {
    if (!metadata_schema_exists(conn, schema))
        fail(ExitCode::BadConfig,
             fmt::format("repmgr metadata schema \"{}\" not found on this server", schema),
             "the cluster's primary has not been registered, or \"cluster\" differs from the "
             "primary's repmgr.conf",
             "run \"repmgr primary register\" on the primary first, and check \"cluster\"");
    conn.set_search_path(schema);
}

}  // namespace repmgr
