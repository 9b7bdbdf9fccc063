#pragma once

#include <vector>

#include "daemon/arbiter/witness_arbiter.hpp"

namespace repmgr::repmgrd {

// The arbiter of the cluster as its metadata describes it: the witness when
// an active one is registered, else none. A new kind (an etcd lease) is
// chosen here, from the configuration; nothing else changes.
class Arbiters {
public:
    explicit Arbiters(const Config& config) : witness_(config) {}
    Arbiter& for_nodes(const std::vector<NodeRecord>& nodes) {
        witness_.locate(nodes);
        if (witness_.required()) return witness_;
        return none_;
    }

private:
    WitnessArbiter witness_;
    NullArbiter none_;
};

}  // namespace repmgr::repmgrd
