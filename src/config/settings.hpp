#pragma once

#include <array>
#include <optional>
#include <span>
#include <string_view>

#include "config/config.hpp"

namespace repmgr {

enum class SettingType { String, Integer, Boolean, Choice };

// One row per configuration key: the table drives parsing, validation,
// documentation and SIGHUP reload.
struct SettingDescriptor {
    std::string_view name;
    std::array<std::string_view, 2> aliases;  // repmgr 3/5 spellings; empty = unused
    SettingType type;
    std::string_view default_value;
    int min = 0;
    int max = 0;
    std::string_view choices;  // "a|b|c" for Choice
    bool reloadable = false;
    std::string_view help;
    std::string Config::* text = nullptr;
    int Config::* number = nullptr;
    bool Config::* flag = nullptr;
};

std::span<const SettingDescriptor> setting_descriptors();

// Finds a descriptor by name or alias; nullptr when unknown.
const SettingDescriptor* find_setting(std::string_view key);

// For an unknown key: the setting name or alias it is most likely a typo of
// (at most two letters added, dropped, changed or swapped, ignoring case),
// nullopt when nothing is that close.
std::optional<std::string_view> closest_setting(std::string_view key);

// Parses `value` into `config` per the descriptor. Returns an error message
// (without file/line) or an empty string when valid.
std::string apply_setting(const SettingDescriptor& d, std::string_view value, Config& config);

// Renders the current value of a setting as text (for docs and reload diffs).
std::string setting_value(const SettingDescriptor& d, const Config& config);

}  // namespace repmgr
