#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/node_record.hpp"
#include "db/connection.hpp"

namespace repmgr {

// The schema version this binary creates and understands.
// 2: repl_daemon; 3: repl_failover_claim (witness arbiter); 4: claim deadline,
// confirmation and takeover (promote_by, confirmed_at, superseded_node_ids);
// 5: repmgrd's state and reason in repl_daemon;
// 6: repl_nodes.config_file (each node's repmgr.conf, for commands over ssh);
// 7: repl_crash_report (a primary's repmgrd reports its own server's crash on
// the witness).
constexpr int kSchemaVersion = 9;
// The version that added repl_nodes.config_file.
constexpr int kConfigFileSchemaVersion = 6;

// All SQL on repl_nodes and the schema lives here. The connection's
// search_path must point at the cluster schema (see open_metadata()).
class NodeRepository {
public:
    explicit NodeRepository(Connection& conn) : conn_(conn) {}

    std::vector<NodeRecord> all();
    std::optional<NodeRecord> by_id(int id);
    std::optional<NodeRecord> by_name(const std::string& name);
    std::optional<NodeRecord> active_primary();
    // Inserts, or replaces the row with the same id. A record without
    // config_file keeps the path already recorded.
    void upsert(const NodeRecord& node);
    // Whether repl_nodes has config_file (schema 6 or later): the metadata of
    // a primary registered by an older version has nowhere to record it.
    bool stores_config_file();
    bool remove(int id);
    void set_active(int id, bool active);
    void set_upstream(int id, std::optional<int> upstream);
    void set_slot_name(int id, const std::optional<std::string>& slot);
    // Marks `id` as the primary (upstream NULL, active) in one statement.
    void make_primary(int id);

private:
    Connection& conn_;
    std::optional<bool> stores_config_file_;  // asked once per repository
};

// Whether the metadata schema exists on this server.
bool metadata_schema_exists(Connection& conn, const std::string& schema);
// Creates or upgrades the schema in place (idempotent); records the version.
void install_metadata_schema(Connection& conn, const std::string& schema);
// Sets the search_path to the schema; throws Failure(BadConfig) with a hint
// when the schema is missing on that server.
void use_metadata_schema(Connection& conn, const std::string& schema);

}  // namespace repmgr
