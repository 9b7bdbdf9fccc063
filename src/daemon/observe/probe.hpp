#pragma once

#include <optional>
#include <vector>

#include "cluster/arbiter.hpp"
#include "cluster/node_record.hpp"
#include "config/config.hpp"

namespace repmgr::repmgrd {

// A sibling's WAL receiver counts as still seeing the primary when it heard
// from it within the time the standbys need to declare it failed.
int receiver_freshness_s(const Config& c);

struct Probed {
    const NodeRecord* node;
    std::optional<PeerState> state;  // nullopt: unreachable
    // When asked (heartbeat_of): that node's newest heartbeat in this node's
    // copy of the metadata (epoch seconds, written by the primary's clock).
    std::optional<double> heartbeat_epoch;
};

// Connects to every node at once (one timeout in total, not one per dead
// node) and asks each what it is; with heartbeat_of, also how fresh its copy
// of that node's heartbeat is (failover_max_lag_secs for siblings).
std::vector<Probed> probe_nodes(const std::vector<const NodeRecord*>& nodes, const Config& config,
                                int heartbeat_of = 0);

}  // namespace repmgr::repmgrd
