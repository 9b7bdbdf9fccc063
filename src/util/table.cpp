#include "util/table.hpp"

#include <algorithm>

namespace repmgr {

std::string render_table(const std::vector<std::string>& headers,
                         const std::vector<std::vector<std::string>>& rows) {
    std::vector<size_t> width(headers.size());
    for (size_t c = 0; c < headers.size(); ++c) width[c] = headers[c].size();
    for (const auto& row : rows)
        for (size_t c = 0; c < row.size() && c < width.size(); ++c)
            width[c] = std::max(width[c], row[c].size());

    auto line = [&](const std::vector<std::string>& cells) {
        std::string out;
        for (size_t c = 0; c < width.size(); ++c) {
            std::string cell = c < cells.size() ? cells[c] : "";
            out += (c == 0 ? " " : " | ") + cell;
            if (c + 1 < width.size()) out += std::string(width[c] - cell.size(), ' ');
        }
        return out + "\n";
    };
    std::string out = line(headers);
    for (size_t c = 0; c < width.size(); ++c)
        out += (c == 0 ? "" : "+") + std::string(width[c] + 2, '-');
    out += "\n";
    for (const auto& row : rows) out += line(row);
    return out;
}

std::string render_csv(const std::vector<std::string>& headers,
                       const std::vector<std::vector<std::string>>& rows) {
    auto field = [](const std::string& v) {
        if (v.find_first_of(",\"\n\r") == std::string::npos) return v;
        std::string out = "\"";
        for (char ch : v) {
            if (ch == '"') out += '"';
            out += ch;
        }
        return out + "\"";
    };
    auto line = [&](const std::vector<std::string>& cells) {
        std::string out;
        for (size_t c = 0; c < cells.size(); ++c) out += (c ? "," : "") + field(cells[c]);
        return out + "\n";
    };
    std::string out = line(headers);
    for (const auto& row : rows) out += line(row);
    return out;
}

}  // namespace repmgr
