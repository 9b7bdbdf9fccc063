// repmgr standby follow: point this running standby at the current primary
// (or at --upstream-node-id).
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "actions/actions.hpp"
#include "actions/role_change.hpp"
#include "cluster/nodes.hpp"
#include "cluster/replication.hpp"
#include "cluster/topology.hpp"
#include "pg/control.hpp"

namespace repmgr {
namespace {

struct FollowTarget {
    NodeRecord node;
    Connection conn;
};

FollowTarget find_target(Context& ctx, Connection& local, const std::string& schema) {
    NodeRepository repo(local);
    if (ctx.opts.upstream_node_id) {
        int id = *ctx.opts.upstream_node_id;
        if (id == ctx.config.node_id)
            fail(ExitCode::BadConfig, "a node cannot follow itself", {},
                 "give the id of another node with --upstream-node-id");
        auto node = repo.by_id(id);
        if (!node)
            fail(ExitCode::BadConfig, fmt::format("node {} is not registered", id), {},
                 "check the id with \"repmgr cluster show\"");
        try {
            return FollowTarget{*node, Connection::open(node->conninfo)};
        } catch (const DbError& e) {
            fail(ExitCode::FollowFail,
                 fmt::format("unable to connect to the new upstream node {} (\"{}\")", id,
                             node->name),
                 e.detail(), "start that node's server first, then run standby follow again");
        }
    }
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::seconds(ctx.opts.wait ? ctx.config.primary_follow_timeout : 0);
    for (bool first = true;; first = false) {
        if (auto primary = find_primary(local, schema)) {
            if (primary->node.id == ctx.config.node_id)
                fail(ExitCode::FollowFail, "this node is recorded as the primary", {},
                     "check \"repmgr cluster show\"");
            return FollowTarget{primary->node, std::move(primary->conn)};
        }
        if (std::chrono::steady_clock::now() >= deadline) break;
        if (first)
            ctx.log.notice("waiting up to {} seconds for a primary to appear (-w/--wait)",
                           ctx.config.primary_follow_timeout);
        std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    fail(ExitCode::FollowFail, "no running primary found for this cluster",
         ctx.opts.wait ? fmt::format("none appeared within primary_follow_timeout ({} seconds)",
                                     ctx.config.primary_follow_timeout)
                       : std::string{},
         "promote a standby first, or use -w/--wait to wait for one");
}

}  // namespace

int run_standby_follow(Context& ctx) {
    require_node_identity(ctx.config);
    const std::string schema = schema_name(ctx.config);
    Connection local = connect_running_local(
        ctx, "standby follow needs this node running as a standby; for a stopped node use "
             "\"repmgr node rejoin\"");
    if (!local.in_recovery())
        fail(ExitCode::FollowFail, "this node is running as a primary, not as a standby", {},
             "a former primary must be stopped and brought back with \"repmgr node rejoin\"");

    FollowTarget target = find_target(ctx, local, schema);
    std::string who = fmt::format("node {} (\"{}\")", target.node.id, target.node.name);

    // The timelines must allow it: a node with WAL the new upstream never had
    // would stall forever (or worse, silently replay a different history).
    auto where_am_i = [&] {
        try {
            return identify_system(ctx.config.conninfo);
        } catch (const DbError& e) {
            ctx.log.info("replication connection to this node refused ({}); using SQL",
                         e.detail());
            return standby_position(local);
        }
    };
    WalPosition mine = where_am_i();
    auto refuse_if_diverged = [&](const WalPosition& position) {
        FollowCheck check = check_can_follow(position, target.node.conninfo);
        if (check.verdict == FollowVerdict::Diverged)
            fail(ExitCode::FollowFail,
                 fmt::format("this node cannot follow {}: its history has diverged", who),
                 check.reason,
                 fmt::format("stop this node's server, then run \"repmgr node rejoin -d '{}' "
                             "--force-rewind\" to rewind it",
                             target.node.conninfo));
    };
    refuse_if_diverged(mine);

    // Metadata lives on the primary (which may differ from the upstream when cascading).
    std::optional<PrimaryConnection> primary;
    if (!target.conn.in_recovery()) {
        primary = PrimaryConnection{Connection::open(target.node.conninfo), target.node};
        use_metadata_schema(primary->conn, schema);
    } else {
        primary = find_primary(local, schema);
    }
    std::optional<NodeRecord> my_record;
    if (primary) my_record = NodeRepository(primary->conn).by_id(ctx.config.node_id);

    std::string data_directory = local_data_directory(ctx, &local);
    StandbySettings settings = standby_settings_for(ctx, target.node, std::nullopt);
    auto current = read_auto_conf_setting(data_directory, "primary_conninfo");
    bool streaming = is_streaming_to(target.conn, ctx.config.node_name);
    if (streaming && current == settings.primary_conninfo &&
        (!my_record || my_record->upstream_node_id == target.node.id)) {
        ctx.log.notice("this node already follows {}; nothing to do", who);
        return 0;
    }
    if (ctx.opts.dry_run) {
        ctx.log.notice("[dry run] would make node {} follow {}: primary_conninfo = '{}' in "
                       "\"{}/postgresql.auto.conf\", then {}",
                       ctx.config.node_id, who, settings.primary_conninfo, data_directory,
                       local.server_version_num() >= 130000 ? "reload" : "restart");
        ctx.log.notice("[dry run] timeline check passed: this node can follow {}", who);
        return 0;
    }

    settings.primary_slot_name = prepare_slot(ctx, target.conn, my_record);
    write_standby_settings(data_directory, settings);
    ServerControl control(ctx.config, ctx.log, data_directory);
    // primary_conninfo is reloadable from PostgreSQL 13; before that only a restart applies it.
    if (local.server_version_num() >= 130000)
        control.reload();
    else
        control.restart();

    if (!wait_streaming_to(target.conn, ctx.config.node_name, ctx.config.standby_reconnect_timeout)) {
        std::string msg = fmt::format("this node does not stream from {} after {} seconds", who,
                                      ctx.config.standby_reconnect_timeout);
        ctx.record(primary ? &primary->conn : nullptr, "standby_follow", false, msg,
                   target.node.id);
        fail(ExitCode::FollowFail, msg,
             "primary_conninfo was rewritten and the server reloaded, but no walsender for this "
             "node appeared on the new upstream",
             "check this node's server log (e.g. \"requested timeline is not a child\", which "
             "needs \"repmgr node rejoin --force-rewind\")");
    }
    // WAL can still have come from the old upstream between the check above
    // and the switch; the new upstream then ends the stream at once.
    refuse_if_diverged(where_am_i());

    if (primary && my_record) {
        NodeRepository repo(primary->conn);
        Transaction tx(primary->conn);
        repo.set_upstream(ctx.config.node_id, target.node.id);
        repo.set_active(ctx.config.node_id, true);
        if (settings.primary_slot_name != my_record->slot_name)
            repo.set_slot_name(ctx.config.node_id, settings.primary_slot_name);
        tx.commit();
    } else {
        ctx.log.warning("node {} is not registered (or no primary is reachable): metadata not "
                        "updated",
                        ctx.config.node_id);
    }
    ctx.record(primary ? &primary->conn : nullptr, "standby_follow", true,
               fmt::format("node {} is now following {}", ctx.config.node_id, who),
               target.node.id);
    ctx.log.notice("STANDBY FOLLOW SUCCESSFUL: node {} is now streaming from {}",
                   ctx.config.node_id, who);
    return 0;
}

}  // namespace repmgr
