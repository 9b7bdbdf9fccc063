#pragma once

#include "actions/context.hpp"

namespace repmgr {

// Loads repmgr.conf per the seed's search order, applies -L/-b overrides and
// sets up logging. Throws Failure(BadConfig) on any configuration error.
void load_context(Context& ctx, bool log_to_configured_destination);

}  // namespace repmgr
