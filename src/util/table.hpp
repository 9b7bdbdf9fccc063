#pragma once

#include <string>
#include <vector>

namespace repmgr {

// Renders rows the way repmgr does: " A | B " columns with a dashed rule.
std::string render_table(const std::vector<std::string>& headers,
                         const std::vector<std::vector<std::string>>& rows);

// RFC 4180 CSV: fields with commas, quotes or newlines are quoted.
std::string render_csv(const std::vector<std::string>& headers,
                       const std::vector<std::vector<std::string>>& rows);

}  // namespace repmgr
