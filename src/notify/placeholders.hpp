#pragma once

#include <map>
#include <string>

namespace repmgr {

// Substitutes %x placeholders (%% is a literal %) in a user's shell command.
// Every value becomes exactly one literal shell word whatever it contains:
// quoting follows the quoting context of the template at that point (bare,
// inside '...', inside "..."), so "$(...)", backticks, quotes and newlines in
// a node name or event detail are never executed. Unknown placeholders are
// left as they are.
std::string expand_placeholders(const std::string& templ, const std::map<char, std::string>& values);

}  // namespace repmgr
