#pragma once

#include <optional>
#include <string>

namespace repmgr {

// The syntax of libpq connection strings, without connecting: shared by the
// parsed Conninfo (config/) and by password masking (util/mask), which must
// both accept exactly what libpq accepts.

// libpq's own message when `text` is not a valid conninfo (key=value or URI),
// nullopt when it is. Uses PQconninfoParse, which opens no connection.
std::optional<std::string> conninfo_syntax_error(const std::string& text);

// Quotes a conninfo value when needed: 'it''s' -> 'it\'s'.
std::string quote_conninfo_value(const std::string& value);

}  // namespace repmgr
