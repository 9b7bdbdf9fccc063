#pragma once

#include <string>
#include <string_view>

namespace repmgr {

// Without leading and trailing blanks (spaces, tabs, CR, LF).
inline std::string_view trim(std::string_view s) {
    constexpr std::string_view kBlanks = " \t\r\n";
    auto b = s.find_first_not_of(kBlanks);
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(kBlanks) - b + 1);
}

// Without trailing blanks: libpq's and commands' messages end in newlines.
inline std::string trim_trailing(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r' ||
                          s.back() == '\t'))
        s.pop_back();
    return s;
}

}  // namespace repmgr
