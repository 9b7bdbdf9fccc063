#include "daemon/reload.hpp"

#include "config/settings.hpp"

namespace repmgr::repmgrd {

std::vector<SettingChange> diff_settings(const Config& running, const Config& reread) {
    std::vector<SettingChange> out;
    for (const auto& d : setting_descriptors()) {
        std::string before = setting_value(d, running);
        std::string after = setting_value(d, reread);
        if (before == after) continue;
        // The log says that a password changed, never what it is.
        if (d.name.ends_with("password")) before = after = "********";
        out.push_back({std::string(d.name), std::move(before), std::move(after), d.reloadable});
    }
    return out;
}

Config apply_reloadable(const Config& running, const Config& reread) {
    Config out = running;
    for (const auto& d : setting_descriptors()) {
        if (!d.reloadable) continue;
        if (d.text) out.*d.text = reread.*d.text;
        if (d.number) out.*d.number = reread.*d.number;
        if (d.flag) out.*d.flag = reread.*d.flag;
    }
    return out;
}

}  // namespace repmgr::repmgrd
