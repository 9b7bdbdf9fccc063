#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace repmgr {

// JSON text for humans and scripts (indented). Names and messages come from
// the metadata and from servers, where bytes need not be UTF-8 (an SQL_ASCII
// database, a libpq message in another encoding): nlohmann's default throws on
// those, which once turned /status into a 500. Invalid bytes become U+FFFD.
inline std::string json_text(const nlohmann::json& j) {
    return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace repmgr
