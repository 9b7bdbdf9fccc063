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

// A conninfo for a child's command line: argv is readable by every user
// (ps, /proc/<pid>/cmdline), so the password travels apart, in the child's
// environment (PGPASSWORD; /proc/<pid>/environ is its owner's only).
struct SplitConninfo {
    std::string conninfo;                 // without password=
    std::optional<std::string> password;  // what was removed, if any
};
SplitConninfo split_password(const std::string& conninfo);

// `conninfo` with the password and passfile of `own` (this node's conninfo)
// added when it names neither and both connect as the same user: a command
// started on this node over ssh (switchover's remote rejoin) gets no password
// on its command line and authenticates like this node does. Otherwise
// unchanged.
std::string with_own_password(const std::string& conninfo, const std::string& own);

// The conninfo a command should use: the user's string with connect_timeout
// added when absent, so that a dead host never hangs a command.
std::string with_connect_timeout(const std::string& conninfo, int seconds);

}  // namespace repmgr
