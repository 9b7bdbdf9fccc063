#pragma once

#include <optional>
#include <string_view>

namespace repmgr {

// For a repmgr 5 repmgr.conf key this version has no setting for: why it is
// ignored (by design, or not implemented), so that a repmgr 5 configuration,
// which works unchanged, says what of it has no effect instead of "unknown".
// nullopt for any other key.
std::optional<std::string_view> repmgr5_setting_note(std::string_view key);

}  // namespace repmgr
