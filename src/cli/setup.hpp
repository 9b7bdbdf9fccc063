#pragma once

#include <string>

#include "actions/context.hpp"

namespace repmgr {

// Loads repmgr.conf per the seed's search order, applies -L/-b overrides and
// sets up logging. Throws Failure(BadConfig) on any configuration error.
void load_context(Context& ctx, bool log_to_configured_destination);

// Throws Failure(BadConfig) "<program>: cannot be run as root" when the
// effective user is root. Called after --help/--version were answered.
void refuse_root(const std::string& program);

// Prints a Failure once, as ERROR / DETAIL / HINT lines, and returns its exit code.
int report_failure(Logger& log, const Failure& failure);

}  // namespace repmgr
