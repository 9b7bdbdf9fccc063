#pragma once

// The node a command applies to when the user names one: --node-id=N and/or
// --node-name=NAME, resolved against the cluster metadata.

#include <optional>

#include "actions/context.hpp"
#include "cluster/nodes.hpp"

namespace repmgr {

// nullopt when neither option was given. A name is looked up in `repo`: an
// unknown name, or a name whose node is not --node-id, is Failure(BadConfig)
// (acting on some other node, e.g. the local one, would be the worst answer).
// An id alone is returned as given; the caller decides what an unknown id means.
std::optional<int> selected_node_id(const Options& opts, NodeRepository& repo);

}  // namespace repmgr
