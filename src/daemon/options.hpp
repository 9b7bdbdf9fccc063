#pragma once

#include <optional>
#include <string>

namespace repmgr::repmgrd {

struct DaemonOptions {
    std::optional<std::string> config_file;  // -f/--config-file
    bool daemonize = false;                  // -d/--daemonize
    std::string pid_file;                    // -p/--pid-file ("" = none)
    bool monitoring_history = false;         // -m/--monitoring-history
    bool verbose = false;                    // -v/--verbose
    std::optional<std::string> log_level;    // -L/--log-level
    bool guard = false;                      // --guard: run as the node's guard (daemon/guard)
};

// Parses repmgrd's command line. Returns an exit code when parsing already
// ended the program (--help, --version, a usage error), nullopt to go on.
std::optional<int> parse_daemon_options(int argc, char** argv, DaemonOptions& out);

}  // namespace repmgr::repmgrd
