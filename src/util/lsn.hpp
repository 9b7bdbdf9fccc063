#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace repmgr {

// A WAL position. In util/ so that pure code (the daemon's election and
// decide()) can speak of positions without reaching the database layer.
using Lsn = std::uint64_t;

// "16/B374D848" -> value; nullopt when malformed.
std::optional<Lsn> parse_lsn(std::string_view text);
std::string format_lsn(Lsn lsn);

}  // namespace repmgr
