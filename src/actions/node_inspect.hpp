#pragma once

#include "actions/context.hpp"
#include "actions/node_check_rules.hpp"

namespace repmgr {

// Reads everything "node status" and "node check" judge: the local server
// through `local`, the metadata (this node's copy), and for a standby its
// upstream over a short connection (master_response_timeout). Thresholds come
// from repmgr.conf. Implemented in node_check.cpp.
CheckInputs inspect_node(Context& ctx, Connection& local);
// arbiter=etcd: each endpoint's health and the leader key (node check --etcd).
EtcdFacts read_etcd_facts(const Config& config);

}  // namespace repmgr
