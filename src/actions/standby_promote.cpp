// repmgr standby promote: turn this standby into the cluster's primary.
#include <fmt/format.h>

#include "actions/actions.hpp"
#include "actions/role_change.hpp"
#include "cluster/nodes.hpp"
#include "cluster/topology.hpp"

namespace repmgr {

int run_standby_promote(Context& ctx) {
    require_node_identity(ctx.config);
    const std::string schema = schema_name(ctx.config);
    Connection local = connect_running_local(
        ctx, "standby promote needs this node's PostgreSQL running as a standby: start it first");
    NodeRepository local_repo(local);

    if (!local.in_recovery()) {
        // Already promoted: make sure the metadata says so, then stop (safe to re-run).
        auto recorded_primary = local_repo.active_primary();
        if (recorded_primary && recorded_primary->id == ctx.config.node_id) {
            ctx.log.notice("node {} is already the primary; nothing to do", ctx.config.node_id);
            return 0;
        }
        for (const auto& n : local_repo.all()) {
            if (n.id == ctx.config.node_id || n.type == NodeType::Witness || ctx.opts.force)
                continue;
            try {
                if (!Connection::open(n.conninfo).in_recovery())
                    fail(ExitCode::Promoted,
                         fmt::format("this node and node {} (\"{}\") both run as primary", n.id,
                                     n.name),
                         {}, "decide which one is the primary, stop the other and rejoin it "
                             "with \"repmgr node rejoin --force-rewind\"; -F/--force records "
                             "this node as the primary anyway");
            } catch (const DbError&) {
            }
        }
        if (ctx.opts.dry_run) {
            ctx.log.notice("[dry run] node {} is running as a primary; would record it as the "
                           "cluster's primary",
                           ctx.config.node_id);
            return 0;
        }
        ctx.log.notice("node {} is already running as a primary; updating the metadata",
                       ctx.config.node_id);
        record_promotion(ctx, local, std::nullopt);
        ctx.record(&local, "standby_promote", true,
                   fmt::format("node {} was already promoted; metadata updated", ctx.config.node_id));
        return 0;
    }

    // Two writable primaries are the worst outcome: refuse unless told otherwise.
    std::optional<NodeRecord> old_primary = local_repo.active_primary();
    if (auto live = find_primary(local, schema)) {
        std::string who = fmt::format("node {} (\"{}\")", live->node.id, live->node.name);
        if (!ctx.opts.force)
            fail(ExitCode::Promoted,
                 fmt::format("this replication cluster already has an active primary: {}", who),
                 fmt::format("{} is reachable at \"{}\" and accepts writes", who,
                             live->node.conninfo),
                 "stop that server first (or use \"repmgr standby switchover\" to swap roles); "
                 "-F/--force promotes anyway and leaves two primaries");
        ctx.log.warning("{} is still running as a primary; promoting anyway (-F/--force)", who);
        old_primary = live->node;
    }

    std::string data_directory = local_data_directory(ctx, &local);
    std::vector<NodeRecord> siblings;
    if (ctx.opts.siblings_follow && old_primary)
        siblings = standbys_of(local_repo, old_primary->id, ctx.config.node_id);

    if (ctx.opts.dry_run) {
        ctx.log.notice("[dry run] would promote node {} (\"{}\") in \"{}\" to primary",
                       ctx.config.node_id, ctx.config.node_name, data_directory);
        if (old_primary)
            ctx.log.notice("[dry run] would mark the former primary node {} inactive",
                           old_primary->id);
        for (const auto& s : siblings)
            ctx.log.notice("[dry run] would make node {} (\"{}\") follow this node", s.id, s.name);
        return 0;
    }

    ctx.log.notice("promoting node {} (\"{}\") to primary", ctx.config.node_id,
                   ctx.config.node_name);
    try {
        promote_local_server(ctx, local, data_directory);
    } catch (const Failure& f) {
        ctx.record(nullptr, "standby_promote", false, f.what());
        throw;
    }
    std::optional<int> old_id;
    if (old_primary) old_id = old_primary->id;
    record_promotion(ctx, local, std::nullopt);
    std::string details =
        old_primary ? fmt::format("node {} promoted to primary; former primary node {} marked "
                                  "inactive",
                                  ctx.config.node_id, old_primary->id)
                    : fmt::format("node {} promoted to primary", ctx.config.node_id);
    ctx.record(&local, "standby_promote", true, details, old_id);
    ctx.log.notice("STANDBY PROMOTE SUCCESSFUL: node {} (\"{}\") is now the primary",
                   ctx.config.node_id, ctx.config.node_name);

    if (!siblings.empty()) {
        NodeRepository repo(local);
        auto new_primary = repo.by_id(ctx.config.node_id);
        auto failed = follow_siblings(ctx, siblings, *new_primary);
        if (!failed.empty())
            fail(ExitCode::FollowFail,
                 fmt::format("the promotion succeeded, but {} of {} sibling standbys did not "
                             "follow",
                             failed.size(), siblings.size()),
                 "see the warnings above for each node",
                 "run \"repmgr standby follow\" on those nodes");
    } else if (old_primary && !ctx.opts.siblings_follow) {
        NodeRepository repo(local);
        if (auto others = standbys_of(repo, old_primary->id, ctx.config.node_id); !others.empty())
            ctx.log.hint("other standbys still follow the former primary: run \"repmgr standby "
                         "follow\" on them (or use --siblings-follow next time)");
    }
    return 0;
}

}  // namespace repmgr
