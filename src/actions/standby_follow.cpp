// repmgr standby follow: point this running standby at the current primary
// (or at --upstream-node-id). Check -> plan -> execute: the checks change
// nothing and gather what the plan needs; --dry-run prints the plan; execute
// runs its steps in order.
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "actions/actions.hpp"
#include "actions/role_change.hpp"
#include "actions/role_failure.hpp"
#include "actions/role_plan.hpp"
#include "actions/role_requests.hpp"
#include "cluster/nodes.hpp"
#include "cluster/replication.hpp"
#include "cluster/slots.hpp"
#include "cluster/topology.hpp"
#include "pg/control.hpp"

namespace repmgr {
namespace {

using FollowFailure = RoleFailure<FollowStatus>;

enum class FollowStep { CreateSlot, WriteSettings, Reload, Restart, WaitStreaming, UpdateMetadata };

struct FollowTarget {
    NodeRecord node;
    Connection conn;
};

// What the checks established; execute works from this alone.
struct FollowChecked {
    FollowChecked(Connection l, FollowTarget t, std::string w)
        : local(std::move(l)), target(std::move(t)), who(std::move(w)) {}
    Connection local;
    FollowTarget target;
    std::string who;                           // node N ("name")
    std::optional<PrimaryConnection> primary;  // where the metadata is written
    std::optional<NodeRecord> my_record;
    std::string data_directory;
    StandbySettings settings;  // slot included
    bool reload_applies = true;  // primary_conninfo is reloadable (PostgreSQL 13 and later)
    bool already_following = false;
};

FollowTarget find_target(Context& ctx, const FollowRequest& request, Connection& local,
                         const std::string& schema) {
    NodeRepository repo(local);
    if (request.upstream_node_id) {
        int id = *request.upstream_node_id;
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
    int wait_s = request.wait_for_primary ? ctx.config.primary_follow_timeout : 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
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
         request.wait_for_primary
             ? fmt::format("none appeared within primary_follow_timeout ({} seconds)",
                           ctx.config.primary_follow_timeout)
             : std::string{},
         "promote a standby first, or use -w/--wait to wait for one");
}

WalPosition where_am_i(Context& ctx, Connection& local) {
    try {
        return identify_system(ctx.config.conninfo);
    } catch (const DbError& e) {
        ctx.log.info("replication connection to this node refused ({}); using SQL", e.detail());
        return standby_position(local);
    }
}

// The timelines must allow it: a node with WAL the new upstream never had
// would stall forever (or worse, silently replay a different history).
void refuse_if_diverged(const WalPosition& position, const FollowChecked& c) {
    FollowCheck check = check_can_follow(position, c.target.node.conninfo);
    if (check.verdict == FollowVerdict::Diverged)
        throw FollowFailure(
            FollowStatus::Diverged, ExitCode::FollowFail,
            fmt::format("this node cannot follow {}: its history has diverged", c.who),
            check.reason,
            fmt::format("stop this node's server, then run \"repmgr node rejoin -d '{}' "
                        "--force-rewind\" to rewind it",
                        c.target.node.conninfo));
}

FollowChecked check_follow(Context& ctx, const FollowRequest& request, FollowOutcome& out) {
    require_node_identity(ctx.config);
    const std::string schema = schema_name(ctx.config);
    Connection local = connect_running_local(
        ctx, "standby follow needs this node running as a standby; for a stopped node use "
             "\"repmgr node rejoin\"");
    if (!local.in_recovery())
        fail(ExitCode::FollowFail, "this node is running as a primary, not as a standby", {},
             "a former primary must be stopped and brought back with \"repmgr node rejoin\"");

    FollowTarget target = find_target(ctx, request, local, schema);
    out.upstream_node_id = target.node.id;
    std::string who = fmt::format("node {} (\"{}\")", target.node.id, target.node.name);
    FollowChecked c{std::move(local), std::move(target), std::move(who)};
    refuse_if_diverged(where_am_i(ctx, c.local), c);

    // Metadata lives on the primary (which may differ from the upstream when cascading).
    if (!c.target.conn.in_recovery()) {
        c.primary = PrimaryConnection{Connection::open(c.target.node.conninfo), c.target.node};
        use_metadata_schema(c.primary->conn, schema);
    } else {
        c.primary = find_primary(c.local, schema);
    }
    if (c.primary) c.my_record = NodeRepository(c.primary->conn).by_id(ctx.config.node_id);

    c.data_directory = local_data_directory(ctx, request.data_directory, &c.local);
    c.reload_applies = c.local.server_version_num() >= 130000;
    c.settings = standby_settings_for(ctx, c.target.node, std::nullopt);
    auto current = read_auto_conf_setting(c.data_directory, "primary_conninfo");
    c.already_following = is_streaming_to(c.target.conn, ctx.config.node_name) &&
                          current == c.settings.primary_conninfo &&
                          (!c.my_record || c.my_record->upstream_node_id == c.target.node.id);
    c.settings.primary_slot_name = planned_slot_name(ctx, c.my_record);
    return c;
}

RolePlan<FollowStep> plan_follow(const Context& ctx, const FollowChecked& c) {
    RolePlan<FollowStep> plan;
    const auto& s = c.settings;
    if (s.primary_slot_name)
        plan.add(FollowStep::CreateSlot,
                 fmt::format("create replication slot \"{}\" on {} unless it exists",
                             *s.primary_slot_name, c.who));
    plan.add(FollowStep::WriteSettings,
             fmt::format("set primary_conninfo = '{}'{} in \"{}/postgresql.auto.conf\"",
                         s.primary_conninfo,
                         s.primary_slot_name
                             ? fmt::format(" and primary_slot_name = '{}'", *s.primary_slot_name)
                             : std::string{},
                         c.data_directory));
    if (c.reload_applies)
        plan.add(FollowStep::Reload, "reload this node's server to apply the new upstream");
    else
        plan.add(FollowStep::Restart,
                 "restart this node's server (before PostgreSQL 13 only a restart applies "
                 "primary_conninfo)");
    plan.add(FollowStep::WaitStreaming,
             fmt::format("wait up to {} seconds until this node streams from {}, then check its "
                         "history again",
                         ctx.config.standby_reconnect_timeout, c.who));
    plan.add(FollowStep::UpdateMetadata,
             c.primary && c.my_record
                 ? fmt::format("record node {}'s upstream as {} in the metadata and the "
                               "standby_follow event",
                               ctx.config.node_id, c.who)
                 : fmt::format("record the standby_follow event (node {} is not registered or "
                               "no primary is reachable: the metadata stays as it is)",
                               ctx.config.node_id));
    return plan;
}

void execute_follow(Context& ctx, FollowChecked& c, const RolePlan<FollowStep>& plan) {
    ServerControl control(ctx.config, ctx.log, c.data_directory);
    Connection* metadata = c.primary ? &c.primary->conn : nullptr;
    plan.execute(ctx.log, [&](const auto& step) {
        switch (step.kind) {
        case FollowStep::CreateSlot:
            create_slot_if_missing(c.target.conn, *c.settings.primary_slot_name);
            break;
        case FollowStep::WriteSettings:
            write_standby_settings(c.data_directory, c.settings);
            break;
        case FollowStep::Reload:
            control.reload();
            break;
        case FollowStep::Restart:
            control.restart();
            break;
        case FollowStep::WaitStreaming:
            if (!wait_streaming_to(c.target.conn, ctx.config.node_name,
                                   ctx.config.standby_reconnect_timeout)) {
                std::string msg = fmt::format("this node does not stream from {} after {} seconds",
                                              c.who, ctx.config.standby_reconnect_timeout);
                ctx.record(metadata, "standby_follow", false, msg, c.target.node.id);
                throw FollowFailure(
                    FollowStatus::NotStreaming, ExitCode::FollowFail, msg,
                    "primary_conninfo was rewritten and the server reloaded, but no walsender "
                    "for this node appeared on the new upstream",
                    "check this node's server log (e.g. \"requested timeline is not a child\", "
                    "which needs \"repmgr node rejoin --force-rewind\")");
            }
            // WAL can still have come from the old upstream between the check
            // and the switch; the new upstream then ends the stream at once.
            refuse_if_diverged(where_am_i(ctx, c.local), c);
            break;
        case FollowStep::UpdateMetadata:
            if (c.primary && c.my_record) {
                NodeRepository repo(c.primary->conn);
                Transaction tx(c.primary->conn);
                repo.set_upstream(ctx.config.node_id, c.target.node.id);
                repo.set_active(ctx.config.node_id, true);
                if (c.settings.primary_slot_name != c.my_record->slot_name)
                    repo.set_slot_name(ctx.config.node_id, c.settings.primary_slot_name);
                tx.commit();
            } else {
                ctx.log.warning("node {} is not registered (or no primary is reachable): "
                                "metadata not updated",
                                ctx.config.node_id);
            }
            ctx.record(metadata, "standby_follow", true,
                       fmt::format("node {} is now following {}", ctx.config.node_id, c.who),
                       c.target.node.id);
            break;
        }
    });
}

}  // namespace

FollowOutcome follow_upstream(Context& ctx, const FollowRequest& request) {
    FollowOutcome out;
    out.upstream_node_id = request.upstream_node_id.value_or(0);
    try {
        FollowChecked c = check_follow(ctx, request, out);
        if (c.already_following) {
            out.status = FollowStatus::AlreadyFollowing;
            out.message = fmt::format("this node already follows {}; nothing to do", c.who);
            ctx.log.notice("{}", out.message);
            return out;
        }
        RolePlan<FollowStep> plan = plan_follow(ctx, c);
        if (request.dry_run) {
            ctx.log.notice("[dry run] timeline check passed: this node can follow {}", c.who);
            plan.print_dry_run(ctx.log, "standby follow");
            out.status = FollowStatus::Planned;
            out.message = fmt::format("dry run: node {} can follow {}", ctx.config.node_id, c.who);
            return out;
        }
        execute_follow(ctx, c, plan);
        out.status = FollowStatus::Followed;
        out.message = fmt::format("STANDBY FOLLOW SUCCESSFUL: node {} is now streaming from {}",
                                  ctx.config.node_id, c.who);
        ctx.log.notice("{}", out.message);
    } catch (const FollowFailure& f) {
        fill_failure(out, f, f.status());
    } catch (const Failure& f) {
        fill_failure(out, f, FollowStatus::Failed);
    }
    return out;
}

int run_standby_follow(Context& ctx) {
    FollowRequest request;
    request.upstream_node_id = ctx.opts.upstream_node_id;
    request.wait_for_primary = ctx.opts.wait;
    request.dry_run = ctx.opts.dry_run;
    request.data_directory = ctx.opts.pgdata;
    return exit_with(follow_upstream(ctx, request));
}

}  // namespace repmgr
