// repmgr node service --action=start|stop|restart|reload|promote
//                      [--checkpoint] [--list-actions] [-S/--superuser]
// Shows or runs the command that starts, stops, restarts, reloads or promotes
// this node's PostgreSQL: service_<action>_command when set, else pg_ctl.
#include <iostream>

#include <fmt/format.h>

#include "actions/actions.hpp"
#include "cluster/nodes.hpp"
#include "cluster/replication.hpp"
#include "config/conninfo.hpp"
#include "pg/control.hpp"

namespace repmgr {
namespace {

std::optional<ServiceAction> requested_action(const Options& opts) {
    if (opts.action.empty()) return std::nullopt;
    if (auto a = parse_service_action(opts.action)) return a;
    fail(ExitCode::BadConfig,
         fmt::format("unknown value \"{}\" provided for parameter --action", opts.action), {},
         "valid values are \"start\", \"stop\", \"restart\", \"reload\" and \"promote\"");
}

// -D, else data_directory; needed only when some action runs pg_ctl.
std::string data_directory_for(const Context& ctx, bool needed) {
    std::string dir = !ctx.opts.pgdata.empty() ? ctx.opts.pgdata : ctx.config.data_directory;
    if (dir.empty() && needed)
        fail(ExitCode::BadConfig, "unable to determine data directory for action",
             "pg_ctl needs the data directory, and no service_<action>_command is set",
             "set data_directory in repmgr.conf, or give -D/--pgdata");
    return dir;
}

void list_actions(ServerControl& control, std::optional<ServiceAction> only) {
    if (only) {
        std::cout << control.command_line(*only) << "\n";
        return;
    }
    std::cout << "Following commands would be executed for each action:\n\n";
    for (ServiceAction a : kServiceActions)
        std::cout << fmt::format("{:>9}: \"{}\"\n", service_action_name(a), control.command_line(a));
    std::cout << "\n";
}

// --checkpoint before stop/restart: shortens the shutdown (and a switchover's
// catch-up). Needs a superuser (or pg_checkpoint): -S/--superuser names one.
void checkpoint_first(Context& ctx) {
    std::string conninfo = ctx.config.conninfo;
    if (!ctx.opts.superuser.empty()) {
        Conninfo c = Conninfo::parse(conninfo);
        c.set("user", ctx.opts.superuser);
        conninfo = c.to_string();
    }
    Connection conn = Connection::open(conninfo);
    if (!can_checkpoint(conn)) {
        ctx.log.warning("{}", ctx.opts.dry_run
                            ? "a CHECKPOINT would be issued here but no superuser connection is "
                              "available"
                            : "a superuser connection is required to issue a CHECKPOINT");
        ctx.log.hint("provide a superuser with -S/--superuser");
        return;
    }
    if (ctx.opts.dry_run) {
        ctx.log.notice("[dry run] a CHECKPOINT would be issued here");
        return;
    }
    ctx.log.notice("issuing CHECKPOINT on node \"{}\" (ID: {})", ctx.config.node_name,
                   ctx.config.node_id);
    run_checkpoint(conn);
}

// The event row goes through this node when it runs as a primary with the
// metadata; otherwise only the notification command hears of it.
std::optional<Connection> event_connection(Context& ctx) {
    try {
        Connection conn = ctx.connect_local();
        if (conn.in_recovery() || !metadata_schema_exists(conn, schema_name(ctx.config)))
            return std::nullopt;
        conn.set_search_path(schema_name(ctx.config));
        return conn;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

}  // namespace

int run_node_service(Context& ctx) {
    std::optional<ServiceAction> action = requested_action(ctx.opts);
    if (!action && !ctx.opts.list_actions)
        fail(ExitCode::BadConfig, "no action given", {},
             "give --action=start|stop|restart|reload|promote, or --list-actions to see the "
             "commands");

    ServerControl probe(ctx.config, ctx.log, {});
    bool any_pg_ctl = false;
    if (action)
        any_pg_ctl = probe.uses_pg_ctl(*action);
    else
        for (ServiceAction a : kServiceActions) any_pg_ctl = any_pg_ctl || probe.uses_pg_ctl(a);
    // Listing shows what would run even without a data directory.
    ServerControl control(ctx.config, ctx.log,
                          data_directory_for(ctx, any_pg_ctl && !ctx.opts.list_actions));
    if (ctx.opts.list_actions) {
        list_actions(control, action);
        return 0;
    }

    if ((*action == ServiceAction::Stop || *action == ServiceAction::Restart) &&
        ctx.opts.checkpoint)
        checkpoint_first(ctx);

    const std::string command = control.command_line(*action);
    const std::string_view name = service_action_name(*action);
    if (ctx.opts.dry_run) {
        ctx.log.notice("[dry run] would execute server command \"{}\"", command);
        return 0;
    }
    ctx.log.notice("executing server command \"{}\"", command);
    try {
        control.run(*action, ExitCode::LocalCommand);
    } catch (const Failure&) {
        ctx.record(nullptr, "node_service", false,
                   fmt::format("action \"{}\" failed: {}", name, command));
        throw;
    }
    std::optional<Connection> conn =
        *action == ServiceAction::Stop ? std::nullopt : event_connection(ctx);
    ctx.record(conn ? &*conn : nullptr, "node_service", true,
               fmt::format("action \"{}\" executed: {}", name, command));
    ctx.log.notice("server command for action \"{}\" succeeded", name);
    return 0;
}

}  // namespace repmgr
