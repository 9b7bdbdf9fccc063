#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "util/conninfo_syntax.hpp"

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

// The conninfo a command should use: the user's string with connect_timeout
// added when absent, so that a dead host never hangs a command.
std::string with_connect_timeout(const std::string& conninfo, int seconds);

}  // namespace repmgr
