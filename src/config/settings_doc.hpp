#pragma once

#include <string>

namespace repmgr {

// The reference of every repmgr.conf key as a Markdown table, rendered from
// the descriptor table (docs/configuration.md is this output; a test keeps
// them equal).
std::string settings_markdown();

// The same keys as plain text for `repmgr --help-settings`.
std::string settings_text();

}  // namespace repmgr
