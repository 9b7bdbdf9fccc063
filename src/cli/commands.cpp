#include "cli/commands.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <iostream>
#include <map>

#include "actions/actions.hpp"
#include "config/settings_doc.hpp"
#include "util/log.hpp"

namespace repmgr {
namespace {

constexpr CommandSpec kCommands[] = {
    {"primary", "register", "initialise the metadata schema and register this node as primary",
     "[-F/--force] [--dry-run]", run_primary_register},
    {"primary", "unregister", "remove an inactive primary's record",
     "[--node-id=N | --node-name=NAME] [-F/--force] [--dry-run]", run_primary_unregister},
    {"standby", "register", "register this running standby in the cluster metadata",
     "[--upstream-node-id=N] [-F/--force] [--wait-sync[=SECS]] [--dry-run]",
     run_standby_register},
    {"standby", "unregister", "remove a standby's record (this node, or --node-id=N / --node-name)",
     "[--node-id=N | --node-name=NAME] [--dry-run]", run_standby_unregister},
    {"standby", "clone", "clone a standby from the primary (or --upstream-node-id)",
     "-h HOST [-p PORT] -U USER -d DB -D DATADIR [-c] [-r] [-F] [--upstream-node-id=N] "
     "[--ignore-external-config-files | --copy-external-config-files[=samepath|pgdata]] "
     "[--replication-conf-only] [--upstream-conninfo=CONNINFO] [--replication-user=USER] "
     "[--recovery-min-apply-delay=DELAY] [--dry-run]",
     run_standby_clone},
    {"standby", "promote", "promote this standby to primary", "[-F] [--siblings-follow] [--dry-run]",
     run_standby_promote},
    {"standby", "follow", "make this standby follow the primary (or --upstream-node-id)",
     "[--upstream-node-id=N] [-w/--wait] [--dry-run]", run_standby_follow},
    {"standby", "switchover", "promote this standby and demote the current primary",
     "[--siblings-follow] [--always-promote] [--force-rewind] [--repmgrd-no-pause] "
     "[--repmgrd-force-unpause] [--dry-run]",
     run_standby_switchover},
    {"witness", "create", "initdb, start and register a witness server (-h: the primary)",
     "-h PRIMARY_HOST [-p PORT] [-U USER] [-d DB] [-D DATADIR] [--dry-run]", run_witness_create},
    {"witness", "register", "register this separate server as the cluster's witness",
     "-h PRIMARY_HOST [-p PORT] [-U USER] [-d DB] [-F] [--dry-run]", run_witness_register},
    {"witness", "unregister", "remove the witness's record (this node, or --node-id=N / --node-name)",
     "[--node-id=N | --node-name=NAME] [-h PRIMARY_HOST ...] [--dry-run]", run_witness_unregister},
    {"node", "rejoin", "rejoin a stopped former primary or standby to the cluster",
     "-d CONNINFO [--force-rewind] [--dry-run]", run_node_rejoin},
    {"node", "status", "show this node: role, upstream, lag, timeline, slots, WAL archiving",
     "[--csv] [--json]", run_node_status},
    {"node", "check", "health checks of this node for monitoring (all, or those named)",
     "[--role] [--replication-lag] [--slots] [--upstream] [--downstream] [--archive-ready] "
     "[--nagios] [--csv] [--json]",
     run_node_check},
    {"node", "service", "show or run the command that starts, stops, restarts, reloads or "
     "promotes this node's server",
     "--action=start|stop|restart|reload|promote [--checkpoint] [-S/--superuser=USER] "
     "[--list-actions] [--dry-run]",
     run_node_service},
    {"daemon", "status", "show repmgrd on every node", "[--csv] [--json]", run_daemon_status},
    {"daemon", "pause", "pause repmgrd failover handling on every node", "[--dry-run]",
     run_daemon_pause},
    {"daemon", "unpause", "resume repmgrd failover handling on every node", "[--dry-run]",
     run_daemon_unpause},
    {"daemon", "start", "start repmgrd on this node (repmgrd_service_start_command, else repmgrd -d)",
     "[-W/--no-wait] [--dry-run]", run_daemon_start},
    {"daemon", "stop", "stop repmgrd on this node (repmgrd_service_stop_command, else SIGTERM)",
     "[-W/--no-wait] [--dry-run]", run_daemon_stop},
    {"cluster", "show", "show every registered node and its status",
     "[--csv [-t/--terse]] [--json] [--compact]", run_cluster_show},
    {"cluster", "event", "list recorded events",
     "[--limit=N] [--all] [--event=NAME] [--node-id=N | --node-name=NAME] [--csv] [--json]",
     run_cluster_event},
    {"cluster", "cleanup", "prune monitoring history", "[-k/--keep-history=DAYS]",
     run_cluster_cleanup},
    {"cluster", "import-repmgr5",
     "register every node of a live repmgr 5 cluster from repmgr 5's own records",
     "[-h HOST -p PORT -U USER -d DB] [-F/--force] [--dry-run]", run_cluster_import_repmgr5},
    {"cluster", "matrix", "every node's connection to every other node (asks each over ssh)",
     "[--csv]", run_cluster_matrix},
    {"cluster", "crosscheck", "cluster matrix run on every node, the views combined",
     "[--csv]", run_cluster_crosscheck},
};

// "standby, witness, ..." or "clone, follow, ...": the words valid after `group` ("" = top level).
std::string valid_words(std::string_view group) {
    std::string out;
    std::string_view last;
    for (const auto& spec : kCommands) {
        std::string_view word = group.empty() ? spec.group : spec.verb;
        if ((!group.empty() && spec.group != group) || word == last) continue;
        if (!out.empty()) out += ", ";
        out += word;
        last = word;
    }
    return out;
}

// For a parse that stopped at an unknown group or verb (or a group without a
// verb): the error and the hint listing the valid words; nullopt for any other
// usage error, which CLI11 words well enough.
std::optional<std::pair<std::string, std::string>> unknown_command(
    const CLI::ParseError& e, const std::map<std::string_view, CLI::App*>& groups,
    const std::vector<std::string>& remaining) {
    std::optional<std::string> word;
    if (!remaining.empty() && !remaining.front().empty() && remaining.front().front() != '-')
        word = remaining.front();
    for (const auto& [name, group] : groups) {
        if (!group->parsed()) continue;
        if (!group->get_subcommands([](CLI::App* verb) { return verb->parsed() > 0; }).empty())
            return std::nullopt;
        std::string hint = fmt::format("valid {} commands: {}", name, valid_words(name));
        if (word) return std::pair{fmt::format("unknown {} command \"{}\"", name, *word), hint};
        return std::pair{fmt::format("a command is required after \"{}\"", name), hint};
    }
    if (!word || dynamic_cast<const CLI::ExtrasError*>(&e) == nullptr) return std::nullopt;
    return std::pair{fmt::format("unknown command group \"{}\"", *word),
                     fmt::format("valid groups: {} (primary is also \"master\", daemon also \"service\")",
                                 valid_words({}))};
}

}  // namespace

std::span<const CommandSpec> command_table() { return kCommands; }

int version_as_number(std::string_view version) {
    int parts[3] = {0, 0, 0};
    size_t i = 0;
    for (char c : version) {
        if (c == '.') {
            if (++i == 3) break;
        } else if (c >= '0' && c <= '9') {
            parts[i] = parts[i] * 10 + (c - '0');
        } else {
            break;  // "5.3.3-dev": the number of the release it leads to
        }
    }
    return parts[0] * 10000 + parts[1] * 100 + parts[2];
}

std::optional<int> parse_command_line(int argc, char** argv, Options& o) {
    CLI::App app{"repmgr: replication manager for PostgreSQL", "repmgr"};
    app.set_help_flag("--help", "print this help and exit");
    app.set_version_flag("-V,--version", std::string("repmgr ") + REPMGR_VERSION);
    app.fallthrough();
    app.require_subcommand(0, 1);
    app.footer(
        "Usage: repmgr [OPTIONS] <group> <verb>\n"
        "Groups: primary (alias master), standby, witness, node, daemon (alias service), cluster. Run "
        "\"repmgr <group> <verb> --help\" for one command.\n"
        "Settings: \"repmgr --help-settings\" lists every repmgr.conf key.\n");

    std::string help_settings;
    std::string config_file, log_level, pg_bindir;
    int upstream_node_id = 0, node_id = 0;
    std::string wait_sync;
    CLI::Option* help_settings_opt =
        app.add_option("--help-settings", help_settings,
                       "list every repmgr.conf key and exit (=markdown for the docs table)")
            ->expected(0, 1);
    app.add_option("-f,--config-file", config_file, "path to repmgr.conf");
    bool version_number = false;
    app.add_flag("--version-number", version_number,
                 "print the version as one number (major*10000 + minor*100 + patch) and exit");
    app.add_flag("--dump-config", o.dump_config,
                 "print every setting as the configuration in effect has it, and exit");
    app.add_option("-R,--remote-user", o.remote_user,
                   "user to log in as on other hosts over ssh (default: ssh's own choice)");
    app.add_flag("-q,--quiet", o.quiet, "log errors only");
    app.add_flag("--compact", o.compact, "cluster show: leave out the connection string column");
    app.add_flag("--detail", o.detail,
                 "daemon status: also location, priority, repmgrd's state and reason");
    app.add_option("-h,--host", o.host, "host of the upstream (or primary) server");
    app.add_option("-p,--port", o.port, "port of the upstream server");
    app.add_option("-U,--username", o.user, "database user of the upstream connection");
    app.add_option("-d,--dbname", o.dbname, "database name or full conninfo of the upstream");
    app.add_option("-D,--pgdata,--data-dir", o.pgdata, "data directory of this node");
    app.add_option("-L,--log-level", log_level, "DEBUG, INFO, NOTICE, WARNING, ERROR, ALERT, CRIT");
    app.add_option("-b,--pg_bindir,--pg-bindir", pg_bindir, "directory of the PostgreSQL binaries");
    app.add_flag("--log-to-file", o.log_to_file, "log to the configured logfile instead of stderr");
    app.add_flag("-v,--verbose", o.verbose, "more output");
    app.add_flag("-t,--terse", o.terse, "only the essential output: no DETAIL/HINT lines, no INFO");
    app.add_flag("-F,--force", o.force, "override safety checks where the command allows it");
    app.add_flag("--dry-run", o.dry_run, "check everything, change nothing");
    app.add_flag("-w,--wait", o.wait, "wait for the condition the command needs");
    app.add_flag("-W,--no-wait", o.no_wait, "do not wait (daemon start|stop)");
    app.add_flag("-c,--fast-checkpoint", o.fast_checkpoint, "force a fast checkpoint when cloning");
    app.add_flag("-r,--rsync-only", o.rsync_only, "clone with rsync instead of pg_basebackup");
    app.add_flag("--ignore-external-config-files", o.ignore_external_config_files,
                 "do not copy configuration files kept outside the data directory");
    app.add_flag("--replication-conf-only,--recovery-conf-only", o.replication_conf_only,
                 "standby clone: only write the standby settings into an existing data directory");
    std::string copy_external;
    CLI::Option* copy_external_opt =
        app.add_option("--copy-external-config-files", copy_external,
                       "standby clone: copy configuration files kept outside the data directory "
                       "to the same path (samepath, the default) or into it (pgdata)")
            ->expected(0, 1);
    app.add_option("--upstream-conninfo", o.upstream_conninfo,
                   "standby clone: primary_conninfo to write (the upstream need not exist yet)");
    app.add_option("--replication-user", o.replication_user,
                   "standby clone: user of the standby's replication connection");
    std::string apply_delay;
    CLI::Option* apply_delay_opt = app.add_option(
        "--recovery-min-apply-delay", apply_delay,
        "standby clone: recovery_min_apply_delay to write (e.g. 5min; overrides repmgr.conf)");
    app.add_flag("--csv", o.csv, "output as CSV");
    app.add_flag("--json", o.json, "output as JSON");
    app.add_flag("--siblings-follow", o.siblings_follow, "make sibling standbys follow too");
    app.add_flag("--force-rewind", o.force_rewind, "run pg_rewind if the timelines diverged");
    app.add_flag("--always-promote", o.always_promote,
                 "standby switchover: promote even when this standby has not replayed everything "
                 "the primary wrote (what it lacks is lost)");
    app.add_flag("--repmgrd-no-pause", o.repmgrd_no_pause,
                 "standby switchover: leave repmgrd running unpaused during the switchover");
    app.add_flag("--repmgrd-force-unpause", o.repmgrd_force_unpause,
                 "standby switchover: unpause repmgrd on every node afterwards, also where it was "
                 "paused before");
    app.add_option("--upstream-node-id", upstream_node_id, "node to clone from / stream from");
    app.add_option("--node-id,--node", node_id, "node the command applies to");
    app.add_option("--node-name", o.node_name, "node the command applies to, by name");
    CLI::Option* wait_sync_opt =
        app.add_option("--wait-sync", wait_sync,
                       "seconds to wait for the record to reach the standby (default 30)")
            ->expected(0, 1);
    app.add_option("--limit", o.limit, "at most this many rows (cluster event)");
    app.add_flag("--all", o.all, "all rows (cluster event)");
    app.add_option("--event", o.event, "only events of this type (cluster event)");
    app.add_option("-k,--keep-history", o.keep_history, "days of monitoring history to keep");
    for (const char* check : {"--role", "--replication-lag", "--slots", "--upstream",
                              "--downstream", "--archive-ready", "--etcd"})
        app.add_flag_function(
            check, [&o, check](std::int64_t) { o.node_checks.emplace_back(check); },
            "node check: run this check (several may be named; none = all)");
    app.add_flag("--nagios", o.nagios, "node check: Nagios plugin output and exit codes");
    app.add_option("--action", o.action,
                   "node service: start, stop, restart, reload or promote");
    app.add_flag("--list-actions", o.list_actions,
                 "node service: show the command of each action (or of --action)");
    app.add_flag("--checkpoint", o.checkpoint,
                 "node service: issue a CHECKPOINT before stop or restart");
    app.add_option("-S,--superuser", o.superuser,
                   "superuser to connect as where one is needed (e.g. --checkpoint)");

    std::vector<std::pair<const CommandSpec*, CLI::App*>> verbs;
    std::map<std::string_view, CLI::App*> groups;
    for (const auto& spec : kCommands) {
        CLI::App*& group = groups[spec.group];
        if (!group) {
            group = app.add_subcommand(std::string(spec.group), fmt::format("{} commands", spec.group));
            group->require_subcommand(1);
            if (spec.group == "primary") group->alias("master");
            if (spec.group == "daemon") group->alias("service");
        }
        CLI::App* verb = group->add_subcommand(std::string(spec.verb), std::string(spec.summary));
        verb->footer(fmt::format("Usage: repmgr [-f repmgr.conf] [OPTIONS] {} {} {}", spec.group,
                                 spec.verb, spec.synopsis) + "\n");
        verbs.emplace_back(&spec, verb);
    }

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // CLI11 says only "A subcommand is required" for "standby frobnicate":
        // name the word it did not know and what it would have known.
        if (auto unknown = unknown_command(e, groups, app.remaining())) {
            Logger log;
            log.error("{}", unknown->first);
            log.hint(unknown->second);
            return to_int(ExitCode::BadConfig);
        }
        int rc = app.exit(e);
        return rc == 0 ? 0 : to_int(ExitCode::BadConfig);  // usage errors are ERR_BAD_CONFIG
    }
    if (help_settings_opt->count() > 0) {
        std::cout << (help_settings == "markdown" ? settings_markdown() : settings_text());
        return 0;
    }
    if (version_number) {
        std::cout << version_as_number(REPMGR_VERSION) << "\n";
        return 0;
    }
    for (auto& [spec, verb] : verbs) {
        if (verb->parsed()) {
            o.group = spec->group;
            o.verb = spec->verb;
        }
    }
    if (o.group.empty() && !o.dump_config) {
        std::cerr << app.help();
        return 1;
    }
    if (copy_external_opt->count() > 0)
        o.copy_external_config_files = copy_external.empty() ? "samepath" : copy_external;
    if (apply_delay_opt->count() > 0) o.recovery_min_apply_delay = apply_delay;
    if (!config_file.empty()) o.config_file = config_file;
    if (!log_level.empty()) o.log_level = log_level;
    if (!pg_bindir.empty()) o.pg_bindir = pg_bindir;
    if (upstream_node_id > 0) o.upstream_node_id = upstream_node_id;
    if (node_id > 0) o.node_id = node_id;
    if (wait_sync_opt->count() > 0) {
        try {
            o.wait_sync = wait_sync.empty() ? 30 : std::stoi(wait_sync);
        } catch (const std::exception&) {
            std::cerr << "--wait-sync expects a number of seconds, got \"" << wait_sync << "\"\n";
            return 1;
        }
    }
    return std::nullopt;
}

}  // namespace repmgr
