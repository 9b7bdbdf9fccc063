#include "daemon/options.hpp"

#include <CLI/CLI.hpp>

namespace repmgr::repmgrd {

std::optional<int> parse_daemon_options(int argc, char** argv, DaemonOptions& out) {
    CLI::App app{"repmgrd: replication manager daemon", "repmgrd"};
    app.set_help_flag("-?,--help", "print this help and exit");
    app.set_version_flag("-V,--version", std::string("repmgrd ") + REPMGR_VERSION);
    app.footer(
        "repmgrd monitors this node's server and its upstream every monitor_interval_secs,\n"
        "records monitoring history (monitoring_history) and reports in \"repmgr daemon "
        "status\".\nSIGHUP re-reads repmgr.conf; SIGTERM/SIGINT stop it cleanly.\n");
    std::string config_file, log_level;
    app.add_option("-f,--config-file", config_file, "path to repmgr.conf");
    app.add_flag("-d,--daemonize", out.daemonize, "detach and run in the background");
    app.add_option("-p,--pid-file", out.pid_file,
                   "write the process id to this file and lock it: a second repmgrd with "
                   "the same file refuses to start");
    app.add_flag("-m,--monitoring-history", out.monitoring_history,
                 "write repl_monitor rows (as monitoring_history=true)");
    app.add_flag("-v,--verbose", out.verbose, "more output");
    app.add_flag("--guard", out.guard,
                 "run as this node's guard, which repmgrd starts itself when guard_timeout > 0: "
                 "fences and demotes the primary when repmgrd stops feeding it");
    app.add_option("-L,--log-level", log_level, "DEBUG, INFO, NOTICE, WARNING, ERROR, ALERT, CRIT");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : 1;  // usage errors are ERR_BAD_CONFIG
    }
    if (!config_file.empty()) out.config_file = config_file;
    if (!log_level.empty()) out.log_level = log_level;
    return std::nullopt;
}

}  // namespace repmgr::repmgrd
