// repmgrd: the node daemon. For now it parses its options and configuration;
// monitoring and failover are built on this in daemon/.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/setup.hpp"

using namespace repmgr;

int main(int argc, char** argv) {
    Context ctx;
    CLI::App app{"repmgrd: replication manager daemon", "repmgrd"};
    app.set_help_flag("-?,--help", "print this help and exit");
    app.set_version_flag("-V,--version", std::string("repmgrd ") + REPMGR_VERSION);
    std::string config_file, log_level, pid_file;
    bool daemonize = false, monitoring_history = false, verbose = false;
    app.add_option("-f,--config-file", config_file, "path to repmgr.conf");
    app.add_flag("-d,--daemonize", daemonize, "detach and run in the background");
    app.add_option("-p,--pid-file", pid_file, "write the process id to this file");
    app.add_flag("-m,--monitoring-history", monitoring_history, "write repl_monitor rows");
    app.add_flag("-v,--verbose", verbose, "more output");
    app.add_option("-L,--log-level", log_level, "DEBUG, INFO, NOTICE, WARNING, ERROR, ALERT, CRIT");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : 1;
    }
    if (!config_file.empty()) ctx.opts.config_file = config_file;
    if (!log_level.empty()) ctx.opts.log_level = log_level;
    ctx.opts.verbose = verbose;
    try {
        load_context(ctx, true);
        require_node_identity(ctx.config);
        ctx.log.notice("repmgrd configuration for node {} (\"{}\") is valid", ctx.config.node_id,
                       ctx.config.node_name);
    } catch (const Failure& f) {
        ctx.log.write(LogLevel::Error, f.what());
        if (!f.detail().empty()) ctx.log.detail(f.detail());
        if (!f.hint().empty()) ctx.log.hint(f.hint());
        return to_int(f.code());
    }
    return 0;
}
