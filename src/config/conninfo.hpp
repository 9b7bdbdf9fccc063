#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace repmgr {

// A parsed libpq connection string (key=value form or URI), parsed by libpq
// itself so we accept exactly what libpq accepts.
class Conninfo {
public:
    // Throws Failure(BadConfig) with libpq's message when invalid.
    static Conninfo parse(const std::string& text);
    // Returns libpq's error message, or nullopt when `text` is valid.
    static std::optional<std::string> validate(const std::string& text);

    std::optional<std::string> get(const std::string& key) const;
    void set(const std::string& key, const std::string& value) { params_[key] = value; }
    void erase(const std::string& key) { params_.erase(key); }
    bool has(const std::string& key) const { return params_.count(key) != 0; }
    // Adds `key` only when not present: keeps what the user wrote.
    void set_default(const std::string& key, const std::string& value);

    // Renders key='value' pairs, quoting and escaping values as libpq requires.
    std::string to_string() const;
    const std::map<std::string, std::string>& params() const { return params_; }

private:
    std::map<std::string, std::string> params_;
};

// Quotes a conninfo value when needed: 'it''s' -> 'it\'s'.
std::string quote_conninfo_value(const std::string& value);

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
std::string mask_passwords(std::string_view text);

// Whether `text` holds a password that mask_passwords would hide.
bool contains_password(std::string_view text);

// The conninfo a command should use: the user's string with connect_timeout
// added when absent, so that a dead host never hangs a command.
std::string with_connect_timeout(const std::string& conninfo, int seconds);

}  // namespace repmgr
