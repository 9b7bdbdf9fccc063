// repmgrd: the node daemon. Parses its options and repmgr.conf, takes the pid
// file lock, detaches when asked, then runs the monitoring loop (daemon/daemon).
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "daemon/daemon.hpp"
#include "daemon/guard/guard.hpp"
#include "startup/startup.hpp"
#include "daemon/options.hpp"
#include "daemon/pidfile.hpp"
#include "daemon/process.hpp"
#include "notify/queue.hpp"

using namespace repmgr;
using namespace repmgr::repmgrd;

namespace {

bool logs_to_syslog(const Config& c) {
    return !c.logfacility.empty() && c.logfacility != "STDERR" && c.logfacility != "stderr";
}

}  // namespace

int main(int argc, char** argv) {
    DaemonOptions options;
    if (auto exit_now = parse_daemon_options(argc, argv, options)) return *exit_now;

    Context ctx;
    ctx.opts.config_file = options.config_file;
    ctx.opts.log_level = options.log_level;
    ctx.opts.verbose = options.verbose;
    try {
        refuse_root("repmgrd");
        load_context(ctx, true);
        if (!ctx.have_config)
            fail(ExitCode::BadConfig, "no configuration file found",
                 "looked for ./repmgr.conf, /etc/repmgr.conf and $(pg_config --sysconfdir)/repmgr.conf",
                 "give the file with -f/--config-file");
        require_node_identity(ctx.config);
        if (options.monitoring_history) ctx.config.monitoring_history = true;
        // After daemonizing the working directory is "/": keep paths usable
        // for SIGHUP reloads.
        ctx.config.source_file = std::filesystem::absolute(ctx.config.source_file).string();
        if (options.guard) return run_guard(ctx);  // already detached by repmgrd

        std::optional<PidFile> pid_file;
        if (!options.pid_file.empty())
            pid_file.emplace(std::filesystem::absolute(options.pid_file).string());
        if (options.daemonize) {
            daemonize(logs_to_syslog(ctx.config) ? std::string() : ctx.config.logfile, [&] {
                if (pid_file) pid_file->write_pid();
            });
        }
        // Started after daemonize (a fork keeps only the calling thread), and
        // declared before the daemon so that it outlives it and runs the
        // notifications of its last events (repmgrd_shutdown) before exiting.
        NotificationQueue notifications(ctx.log);
        struct Unhook {
            Context& ctx;
            ~Unhook() { ctx.notifications = nullptr; }
        } unhook{ctx};
        ctx.notifications = &notifications;
        Daemon daemon(ctx, options);
        return daemon.run();
    } catch (const Failure& f) {
        return report_failure(ctx.log, f);
    } catch (const std::exception& e) {
        ctx.log.write(LogLevel::Error, fmt::format("internal error: {}", e.what()));
        return to_int(ExitCode::MonitoringFail);
    }
}
