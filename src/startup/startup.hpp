#pragma once

#include <string>

#include "actions/context.hpp"

namespace repmgr {

// Start-up shared by both programs (repmgr and repmgrd): configuration,
// logging, the root check and the one way a Failure is printed. Above actions/
// (it fills a Context), beside cli/ and daemon/, which both use it.

// Loads repmgr.conf per the seed's search order, applies -L/-b overrides and
// sets up logging. Throws Failure(BadConfig) on any configuration error.
void load_context(Context& ctx, bool log_to_configured_destination);

// Throws Failure(BadConfig) "<program>: cannot be run as root" when the
// effective user is root. Called after --help/--version were answered.
void refuse_root(const std::string& program);

// Prints a Failure once, as ERROR / DETAIL / HINT lines, and returns its exit code.
int report_failure(Logger& log, const Failure& failure);

}  // namespace repmgr
