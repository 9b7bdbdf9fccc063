#pragma once

#include <optional>
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

// A value, or JSON null when absent (the fields of --json and /status that
// are not known).
template <typename T>
nlohmann::json json_or_null(const std::optional<T>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace repmgr
