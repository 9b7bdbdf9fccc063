#include "cluster/witness.hpp"

#include "cluster/nodes.hpp"

namespace repmgr {

int copy_node_records(Connection& primary, Connection& witness) {
    std::vector<NodeRecord> nodes = NodeRepository(primary).all();
    Transaction tx(witness);
    witness.exec("DELETE FROM repl_nodes");
    NodeRepository repo(witness);
    for (const auto& n : nodes) repo.upsert(n);
    tx.commit();
    return static_cast<int>(nodes.size());
}

std::string system_identifier(Connection& conn) {
    return conn.one_row("SELECT system_identifier::text AS id FROM pg_control_system()").text("id");
}

void ensure_database(Connection& admin, const std::string& dbname) {
    if (admin.opt_row("SELECT 1 FROM pg_database WHERE datname = $1", dbname)) return;
    // CREATE DATABASE takes no parameters: the name goes in as a quoted identifier.
    admin.exec_script("CREATE DATABASE " + admin.quote_identifier(dbname));
}

std::string read_hba_file(Connection& conn) {
    return conn.one_row("SELECT pg_read_file(current_setting('hba_file')) AS hba").text("hba");
}

}  // namespace repmgr
