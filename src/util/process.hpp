#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <string>
#include <utility>
#include <vector>

#include "util/exit_codes.hpp"

namespace repmgr {

struct ProcessResult {
    int exit_status = -1;    // exit code, or 128+signal when killed
    std::string output;      // stdout (and stderr when merged), bounded: see RunOptions
    bool timed_out = false;  // killed (with its process group) at the deadline
    int timeout_secs = 0;    // the deadline it had, for messages
    std::string timeout_setting;  // the repmgr.conf setting that gave it
};

// What a child's captured output keeps: the first and the last `kOutputKeep`
// bytes. A command that prints without end (a script in a loop, a chatty
// webhook) must not grow repmgrd's memory without bound.
inline constexpr size_t kOutputKeep = 64 * 1024;

// Collects a child's output, keeping the first `keep` and last `keep` bytes
// and counting what was dropped between them.
class BoundedOutput {
public:
    explicit BoundedOutput(size_t keep = kOutputKeep) : keep_(keep) {}
    void append(const char* data, size_t n);
    // head + "[... N bytes of output omitted ...]" + tail (only the marker
    // when something was dropped).
    std::string str() const;
    size_t dropped() const { return dropped_; }

private:
    size_t keep_;
    std::string head_;
    std::string tail_;  // the last bytes seen after head_ filled
    size_t dropped_ = 0;
};

struct RunOptions {
    bool capture = false;
    // Seconds until the child (in its own process group) is ended: SIGTERM to
    // the group, SIGKILL 2 s later. 0 = no deadline and the child stays in our
    // process group (a pg_basebackup run from a terminal still gets Ctrl-C).
    int timeout_secs = 0;
    // Added to (or replacing in) the child's environment, e.g. PGPASSWORD:
    // /proc/<pid>/environ is readable by the process owner only, unlike argv.
    std::vector<std::pair<std::string, std::string>> env;
    // The repmgr.conf setting `timeout_secs` came from: the message of a
    // timeout names it, so the DBA knows what to raise.
    std::string timeout_setting;
};

// Runs argv directly (no shell). With `capture`, stdout and stderr are collected
// into `output`; otherwise they go to our own stdout/stderr. The child starts
// clean: stdin from /dev/null, no other descriptor above 2, every signal at
// its default disposition and none blocked. The one place children start.
ProcessResult run_process(const std::vector<std::string>& argv, const RunOptions& options);
ProcessResult run_argv(const std::vector<std::string>& argv, bool capture);

// Runs a user-supplied command line through /bin/sh -c.
ProcessResult run_shell(const std::string& command, bool capture, int timeout_secs = 0);

// stdout of a shell command when it exits 0.
std::optional<std::string> run_capture(const std::string& command);

// "exit status N", or "killed after N seconds (timeout)" when it timed out.
std::string describe_exit(const ProcessResult& r);

// When `r` was cut at its deadline, throws Failure(`code`): "<what> did not
// finish within N seconds (<setting>) and was killed with its process group",
// DETAIL `left_behind` (the state the cut leaves), HINT to find the hang or
// raise the setting. Every program with a deadline reports through here.
void fail_if_timed_out(const ProcessResult& r, ExitCode code, std::string_view what,
                       std::string_view left_behind);

// Single-quotes a value for /bin/sh so that it is always one literal word.
std::string shell_quote(const std::string& value);

// An argv as a user would type it into /bin/sh: words of plain characters
// unquoted, every other word shell_quote()d (run by sh, it is the same argv).
std::string shown_command(const std::vector<std::string>& argv);

// Splits an option string such as pg_basebackup_options into words, honouring
// single and double quotes the way a shell would (no expansion).
std::vector<std::string> split_words(const std::string& text);

}  // namespace repmgr
