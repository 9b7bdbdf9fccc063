#pragma once

#include <memory>
#include <vector>

#include "daemon/arbiter/etcd_arbiter.hpp"
#include "daemon/arbiter/witness_arbiter.hpp"

namespace repmgr::repmgrd {

// The arbiter of the cluster: etcd when the configuration says so
// (arbiter=etcd), else the witness when an active one is registered in the
// metadata, else none.
class Arbiters {
public:
    explicit Arbiters(const Config& config) : witness_(config) {
        if (config.arbiter == "etcd") etcd_ = std::make_unique<EtcdArbiter>(config);
    }
    Arbiter& for_nodes(const std::vector<NodeRecord>& nodes) {
        if (etcd_) return *etcd_;
        witness_.locate(nodes);
        if (witness_.required()) return witness_;
        return none_;
    }

private:
    WitnessArbiter witness_;
    std::unique_ptr<EtcdArbiter> etcd_;
    NullArbiter none_;
};

}  // namespace repmgr::repmgrd
