#pragma once

#include "actions/context.hpp"

namespace repmgr {

// primary.cpp
int run_primary_register(Context& ctx);
int run_primary_unregister(Context& ctx);
// standby_register.cpp
int run_standby_register(Context& ctx);
int run_standby_unregister(Context& ctx);
// cluster.cpp
int run_cluster_show(Context& ctx);
int run_cluster_event(Context& ctx);
int run_cluster_cleanup(Context& ctx);

}  // namespace repmgr
