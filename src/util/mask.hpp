#pragma once

#include <string>
#include <string_view>

namespace repmgr {

// What a password becomes in anything we print.
inline constexpr const char* kMaskedPassword = "********";

// The one masking function for everything we print, log or record: replaces
// the value of every "...password" key (password=, sslpassword=, PGPASSWORD=;
// bare, '...'-quoted with libpq's escapes, or in a URI query up to '&') and the
// password of a URI's user:password@ with kMaskedPassword. Works on a whole
// message that merely contains conninfo strings, never fails, and is
// idempotent. A bare value ending in '"' keeps that quote: our messages wrap
// conninfo in double quotes. The conninfo stored in repl_nodes keeps its
// password (other nodes connect with it); mask only what people see.
// It lives in util/ because the logger masks every line it writes.
std::string mask_passwords(std::string_view text);

// Whether `text` holds a password that mask_passwords would hide.
bool contains_password(std::string_view text);

}  // namespace repmgr
