#pragma once

#include <optional>
#include <string>

#include "actions/context.hpp"
#include "cluster/nodes.hpp"
#include "cluster/topology.hpp"

namespace repmgr {

// The record this node's repmgr.conf describes.
NodeRecord node_record_from_config(const Config& config, NodeType type,
                                   std::optional<int> upstream);

// Drops me.config_file (with a warning and the way to upgrade) when the
// metadata's schema has no column for it yet, so the record written and the
// record compared afterwards agree.
void fit_record_to_schema(Context& ctx, NodeRepository& repo, NodeRecord& me);

// Checks an existing registration of `me`: returns true (after a NOTICE) when
// the record is already exactly this, so re-running is a no-op. Fails when the
// id is registered differently (unless -F) or the name belongs to another id.
bool registration_unchanged(Context& ctx, NodeRepository& repo, const NodeRecord& me,
                            std::string_view role);

// Any node of the cluster with the metadata, for reading (a standby's copy is
// fine): this node when reachable, else the node named with -h/-p/-U/-d.
// The connection uses the metadata schema.
Connection connect_metadata(Context& ctx);

// Checks particular to one node type, run before a record is removed.
using UnregisterCheck = void (*)(Context& ctx, NodeRepository& repo, const NodeRecord& target,
                                 const PrimaryConnection& primary);

// The body of "primary|standby|witness unregister": removes the record of
// --node-id (or this node) on the primary after `check`, drops its unused
// slot, records "<type>_unregister". Not registered -> a notice, exit 0.
int unregister_node(Context& ctx, NodeType expected, UnregisterCheck check,
                    std::optional<PrimaryConnection> primary = std::nullopt);

// Connects to the cluster's primary: through this node's own database when
// reachable, else through -h/-p/-U/-d. Throws Failure(ERR_DB_CON) with a hint.
PrimaryConnection connect_cluster_primary(Context& ctx);

}  // namespace repmgr
