#pragma once

#include <optional>
#include <string>
#include <vector>

namespace repmgr {

struct ProcessResult {
    int exit_status = -1;  // exit code, or 128+signal when killed
    std::string output;    // stdout (and stderr when merged)
};

// Runs argv directly (no shell). With `capture`, stdout and stderr are collected
// into `output`; otherwise they go to our own stdout/stderr. The child starts
// clean: stdin from /dev/null, no other descriptor above 2, every signal at
// its default disposition and none blocked. The one place children start.
ProcessResult run_argv(const std::vector<std::string>& argv, bool capture);

// Runs a user-supplied command line through /bin/sh -c.
ProcessResult run_shell(const std::string& command, bool capture);

// stdout of a shell command when it exits 0.
std::optional<std::string> run_capture(const std::string& command);

// Single-quotes a value for /bin/sh so that it is always one literal word.
std::string shell_quote(const std::string& value);

// Splits an option string such as pg_basebackup_options into words, honouring
// single and double quotes the way a shell would (no expansion).
std::vector<std::string> split_words(const std::string& text);

}  // namespace repmgr
