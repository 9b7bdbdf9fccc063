#include "startup/startup.hpp"

#include <unistd.h>

#include <string>
#include <vector>

#include <fmt/format.h>

#include "config/settings.hpp"

namespace repmgr {

void load_context(Context& ctx, bool log_to_configured_destination) {
    ctx.config = default_config();
    // Warnings wait until the log level and destination are known, so they
    // go where the configuration says and honour its loglevel.
    std::vector<std::string> warnings;
    bool password_exposed = false;
    if (auto path = find_config_file(ctx.opts.config_file)) {
        LoadedConfig loaded = load_config_file(*path);
        ctx.config = std::move(loaded.config);
        ctx.have_config = true;
        warnings = std::move(loaded.warnings);
        password_exposed = loaded.password_readable_by_others;
    }
    if (ctx.opts.log_level) {
        if (!parse_log_level(*ctx.opts.log_level))
            fail(ExitCode::BadConfig, fmt::format("invalid log level \"{}\"", *ctx.opts.log_level),
                 {}, "use DEBUG, INFO, NOTICE, WARNING, ERROR, ALERT or CRIT");
        ctx.config.loglevel = *ctx.opts.log_level;
    }
    if (ctx.opts.pg_bindir) ctx.config.pg_bindir = *ctx.opts.pg_bindir;
    if (ctx.opts.verbose && !ctx.opts.log_level) ctx.config.loglevel = "INFO";
    // -q/--quiet as in repmgr 5: errors only (an explicit -L still wins).
    if (ctx.opts.quiet && !ctx.opts.log_level) ctx.config.loglevel = "ERROR";
    if (!ctx.opts.remote_user.empty()) {
        // -R/--remote-user: every ssh (and rsync over ssh) logs in as this user.
        const std::string& user = ctx.opts.remote_user;
        if (user.front() == '-' ||
            user.find_first_of(" \t\n'\"\\$`;&|<>()") != std::string::npos)
            fail(ExitCode::BadConfig, fmt::format("invalid user name \"{}\" for -R/--remote-user", user),
                 {}, "give a plain user name");
        ctx.config.ssh_options += (ctx.config.ssh_options.empty() ? "-l " : " -l ") + user;
    }
    ctx.log.set_level(parse_log_level(ctx.config.loglevel).value_or(LogLevel::Notice));
    // -t/--terse as in repmgr 5: no DETAIL/HINT lines and no INFO or DEBUG
    // chatter (from -v or the file's loglevel; an explicit -L still wins).
    // Warnings, errors and the command's own output stay.
    if (ctx.opts.terse) {
        ctx.log.set_terse(true);
        if (!ctx.opts.log_level && ctx.log.level() < LogLevel::Notice)
            ctx.log.set_level(LogLevel::Notice);
    }

    if (log_to_configured_destination) {
        std::string facility = ctx.config.logfacility;
        if (!facility.empty() && facility != "STDERR" && facility != "stderr")
            ctx.log.open_syslog(facility, "repmgr");
        else if (!ctx.config.logfile.empty())
            ctx.log.open_file(ctx.config.logfile);
    }
    for (const auto& w : warnings) ctx.log.warning("{}", w);
    if (password_exposed && ctx.log.enabled(LogLevel::Warning)) {
        ctx.log.warning("configuration file \"{}\" contains a password and is readable by other users",
                        ctx.config.source_file);
        ctx.log.hint(fmt::format("chmod 600 {}", ctx.config.source_file));
    }
    // Which file was used is the first question when a setting seems ignored.
    if (ctx.have_config)
        ctx.log.debug("configuration file: \"{}\"", ctx.config.source_file);
    else
        ctx.log.debug("no configuration file found; using built-in defaults");
}

void refuse_root(const std::string& program) {
    // repmgr 5's rule and wording: as root, clones, rewinds and the files
    // repmgr writes in the data directory would belong to root and the
    // server could not use them.
    if (geteuid() == 0)
        fail(ExitCode::BadConfig, fmt::format("{}: cannot be run as root", program), {},
             "log in (using, e.g., \"su\") as the (unprivileged) user that owns the data "
             "directory, e.g. \"sudo -u postgres " + program + " ...\"");
}

int report_failure(Logger& log, const Failure& failure) {
    log.write(LogLevel::Error, failure.what());
    if (!failure.detail().empty()) log.detail(failure.detail());
    if (!failure.hint().empty()) log.hint(failure.hint());
    return to_int(failure.code());
}

}  // namespace repmgr
