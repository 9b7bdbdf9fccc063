#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace repmgr::repmgrd {

struct SettingChange {
    std::string name;
    std::string old_value;
    std::string new_value;
    bool reloadable = false;
};

// Every setting whose value differs between the running and the re-read
// configuration, in descriptor-table order.
std::vector<SettingChange> diff_settings(const Config& running, const Config& reread);

// The running configuration with the reloadable changes of `reread` applied;
// settings that need a restart keep their running value.
Config apply_reloadable(const Config& running, const Config& reread);

}  // namespace repmgr::repmgrd
