#pragma once

#include <string>
#include <string_view>
#include <vector>

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

// "3,1,2" -> {3, 1, 2}: the node id lists the metadata keeps as text.
inline std::vector<int> parse_int_list(std::string_view csv) {
    std::vector<int> out;
    size_t pos = 0;
    while (pos < csv.size()) {
        size_t end = csv.find(',', pos);
        if (end == std::string_view::npos) end = csv.size();
        if (end > pos) out.push_back(std::stoi(std::string(csv.substr(pos, end - pos))));
        pos = end + 1;
    }
    return out;
}

}  // namespace repmgr
