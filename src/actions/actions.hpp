#pragma once

#include "actions/context.hpp"

namespace repmgr {

// primary.cpp
int run_primary_register(Context& ctx);
int run_primary_unregister(Context& ctx);
// standby_register.cpp
int run_standby_register(Context& ctx);
int run_standby_unregister(Context& ctx);
// standby_clone.cpp
int run_standby_clone(Context& ctx);
// standby_promote.cpp
int run_standby_promote(Context& ctx);
// standby_follow.cpp
int run_standby_follow(Context& ctx);
// standby_switchover.cpp
int run_standby_switchover(Context& ctx);
// node_rejoin.cpp
int run_node_rejoin(Context& ctx);
// node_status.cpp, node_check.cpp
int run_node_status(Context& ctx);
int run_node_check(Context& ctx);
// node_service.cpp
int run_node_service(Context& ctx);
// daemon.cpp
int run_daemon_status(Context& ctx);
int run_daemon_pause(Context& ctx);
int run_daemon_unpause(Context& ctx);
// daemon_control.cpp
int run_daemon_start(Context& ctx);
int run_daemon_stop(Context& ctx);
// witness.cpp
int run_witness_create(Context& ctx);
int run_witness_register(Context& ctx);
int run_witness_unregister(Context& ctx);
// cluster.cpp
int run_cluster_show(Context& ctx);
int run_cluster_event(Context& ctx);
int run_cluster_cleanup(Context& ctx);
// cluster_import.cpp
int run_cluster_import_repmgr5(Context& ctx);
// cluster_matrix.cpp
int run_cluster_matrix(Context& ctx);
int run_cluster_crosscheck(Context& ctx);

}  // namespace repmgr
