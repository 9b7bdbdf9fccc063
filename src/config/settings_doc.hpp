#pragma once

#include <string>

namespace repmgr {

// The reference of every repmgr.conf key as a Markdown table, rendered from
// the descriptor table (docs/configuration.md is this output; a test keeps
// them equal).
std::string settings_markdown();

// The same keys as plain text for `repmgr --help-settings`.
std::string settings_text();

struct Config;
// `repmgr --dump-config`: every setting as the configuration in effect has
// it, one `key='value'` line each (repmgr.conf syntax), passwords masked.
std::string config_dump(const Config& config);

}  // namespace repmgr
