#include "config/settings_doc.hpp"

#include <fmt/format.h>

#include "config/settings.hpp"
#include "util/mask.hpp"

namespace repmgr {
namespace {

std::string type_text(const SettingDescriptor& d) {
    switch (d.type) {
        case SettingType::Integer:
            return d.max == 2147483647 ? fmt::format("integer >= {}", d.min)
                                       : fmt::format("integer {}..{}", d.min, d.max);
        case SettingType::Boolean:
            return "boolean";
        case SettingType::Choice:
            return std::string(d.choices);
        case SettingType::String:
            break;
    }
    return "string";
}

std::string aliases_text(const SettingDescriptor& d) {
    std::string out;
    for (auto a : d.aliases)
        if (!a.empty()) out += (out.empty() ? "" : ", ") + std::string(a);
    return out;
}

}  // namespace

std::string settings_markdown() {
    std::string out =
        "# Configuration reference (repmgr.conf)\n\n"
        "Generated from the setting table in `src/config/settings.cpp` "
        "(`repmgr --help-settings=markdown`); a test keeps this page equal to it.\n\n"
        "Syntax: `key=value` (or `key value`) per line, `#` comments, values optionally "
        "quoted with `'...'` (a quote inside is written `\\'` or `''`). Unknown keys give a "
        "warning naming file and line; invalid values are errors (exit 1) naming file, line "
        "and the rule broken, all reported at once. *Reload* says whether repmgrd applies a "
        "change on SIGHUP; other keys need a restart.\n\n"
        "| key | also accepted | type | default | reload | meaning |\n"
        "|---|---|---|---|---|---|\n";
    for (const auto& d : setting_descriptors()) {
        std::string def = d.default_value.empty() ? "" : fmt::format("`{}`", d.default_value);
        out += fmt::format("| `{}` | {} | {} | {} | {} | {} |\n", d.name, aliases_text(d),
                           type_text(d), def, d.reloadable ? "yes" : "no", d.help);
    }
    return out;
}

std::string settings_text() {
    std::string out = "Configuration keys (repmgr.conf):\n";
    for (const auto& d : setting_descriptors()) {
        std::string name(d.name);
        if (auto a = aliases_text(d); !a.empty()) name += " (" + a + ")";
        out += fmt::format("  {:<44} {}{}\n", name, d.help,
                           d.default_value.empty() ? "" : fmt::format(" [{}]", d.default_value));
    }
    return out;
}

std::string config_dump(const Config& config) {
    std::string out;
    for (const auto& d : setting_descriptors()) {
        std::string value = mask_passwords(setting_value(d, config));
        std::string quoted;
        for (char c : value) {
            if (c == '\'' || c == '\\') quoted += '\\';
            quoted += c;
        }
        out += fmt::format("{}='{}'\n", d.name, quoted);
    }
    return out;
}

}  // namespace repmgr
