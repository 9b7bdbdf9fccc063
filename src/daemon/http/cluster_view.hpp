#pragma once

#include <optional>

#include "cluster/overview.hpp"
#include "daemon/decide/snapshot.hpp"
#include "daemon/http/http_status.hpp"

namespace repmgr::repmgrd {

// Pure: the status page's cluster from this tick's snapshot, the status the
// publisher built for this node (`self`: its lag, state and reason), the
// overview read this tick (nullptr when it could not be read) and the node
// repmgrd talks to as the writable primary this tick, if any.
ClusterStatus build_cluster_status(const Snapshot& s, const DaemonStatus& self,
                                   const ClusterOverview* overview,
                                   std::optional<int> primary_link_id);

}  // namespace repmgr::repmgrd
