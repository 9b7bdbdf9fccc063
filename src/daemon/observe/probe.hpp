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
};

// Connects to every node at once (one timeout in total, not one per dead
// node) and asks each what it is.
std::vector<Probed> probe_nodes(const std::vector<const NodeRecord*>& nodes, const Config& config);

}  // namespace repmgr::repmgrd
