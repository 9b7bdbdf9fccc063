#pragma once

// etcd_failsafe (docs/etcd.md, "Failsafe"): the promises the standbys write
// on the primary while none of them reaches etcd. The SQL expects the
// search_path on the cluster schema.

#include <optional>
#include <vector>

#include "db/connection.hpp"

namespace repmgr {

// "Node `node_id` cannot reach etcd and will not take the leader key for
// etcd_ttl seconds": written on the primary. Throws DbError (e.g.
// undefined_table on a schema older than version 9).
void write_failsafe_pledge(Connection& primary, int node_id);

struct FailsafePledge {
    int node_id = 0;
    std::optional<double> age_s;  // nullopt: this node never promised
};

// Every other active node that could take the key (not witnesses), with the
// age of its newest promise by the primary's clock. nullopt when the schema
// predates version 9 (no node can have promised).
std::optional<std::vector<FailsafePledge>> read_failsafe_pledges(Connection& primary,
                                                                 int primary_id);

}  // namespace repmgr
