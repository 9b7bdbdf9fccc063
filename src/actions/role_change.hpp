#pragma once

// Steps shared by standby promote, standby follow, node rejoin and standby
// switchover: each a small piece with its own error reporting.

#include <optional>
#include <string>
#include <vector>

#include "actions/context.hpp"
#include "cluster/nodes.hpp"
#include "pg/standby_config.hpp"

namespace repmgr {

// This node's own server, which must be running, with the metadata schema on
// its search_path. `hint` tells the DBA what the command needs when it is not.
Connection connect_running_local(Context& ctx, const std::string& hint);

// This node's data directory: `given` (e.g. -D), else data_directory, else
// asks the running server (`local` may be null). Failure(BadConfig) when none
// is known.
std::string local_data_directory(const Context& ctx, const std::string& given, Connection* local);
// The same with -D from the command line as `given`.
std::string local_data_directory(Context& ctx, Connection* local);

// The slot this node streams through when use_replication_slots is on (the
// recorded one, else repmgr_slot_<id>); nullopt when slots are not used.
std::optional<std::string> planned_slot_name(const Context& ctx,
                                             const std::optional<NodeRecord>& my_record);

// planned_slot_name(), created on `upstream` if missing.
std::optional<std::string> prepare_slot(Context& ctx, Connection& upstream,
                                        const std::optional<NodeRecord>& my_record);

// Standby settings that make this node stream from `upstream`.
StandbySettings standby_settings_for(const Context& ctx, const NodeRecord& upstream,
                                     const std::optional<std::string>& slot);

// Promotes the local standby (pg_promote or service_promote_command) and waits
// until it accepts writes (promote_check_timeout). Failure(ERR_PROMOTED) otherwise.
void promote_local_server(Context& ctx, Connection& local, const std::string& data_directory);

// CHECKPOINT on a just-promoted server. PostgreSQL promotes without one and
// its own checkpoint is spread over minutes; until it ends, pg_control still
// names the old timeline, and a pg_rewind of this node (after its fence
// demotion, say) reads the wrong timeline and fails. Warns on failure.
void checkpoint_new_timeline(Context& ctx, Connection& new_primary);

// In one transaction on the new primary: this node becomes the only active
// master (upstream NULL); every other master record is deactivated, and
// `demoted` (the old primary in a switchover) becomes an inactive standby of
// this node until it has rejoined.
void record_promotion(Context& ctx, Connection& new_primary, std::optional<int> demoted);

// Active standbys (not `exclude_id`) whose upstream is `upstream_id`.
std::vector<NodeRecord> standbys_of(NodeRepository& repo, int upstream_id, int exclude_id);

// Runs "repmgr standby follow --upstream-node-id=<new primary>" on each sibling
// over ssh. Returns the names of those that failed (each logged with a HINT).
std::vector<std::string> follow_siblings(Context& ctx, const std::vector<NodeRecord>& siblings,
                                         const NodeRecord& new_primary);

}  // namespace repmgr
