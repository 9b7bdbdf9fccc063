// repmgr standby promote: turn this standby into the cluster's primary.
// Check -> plan -> execute: the checks refuse early and gather what the plan
// needs; --dry-run prints the plan; execute runs its steps in order.
#include <algorithm>

#include <fmt/format.h>

#include "actions/actions.hpp"
#include "actions/role_change.hpp"
#include "actions/role_plan.hpp"
#include "cluster/nodes.hpp"
#include "cluster/topology.hpp"
#include "cluster/zero_loss.hpp"

namespace repmgr {
namespace {

enum class PromoteStep { Promote, RecordPromotion, RecordAlreadyPromoted, FollowSiblings };

// What the checks established; execute works from this alone.
struct PromoteChecked {
    explicit PromoteChecked(Connection l) : local(std::move(l)) {}
    Connection local;
    bool already_running_as_primary = false;  // promoted before: only the metadata is behind
    bool nothing_to_do = false;               // ... and the metadata says so too
    std::optional<NodeRecord> old_primary;
    std::string data_directory;
    std::vector<NodeRecord> siblings;  // to move with --siblings-follow
};

// Already promoted: refuses when another node also runs as a primary (unless -F).
void check_already_primary(Context& ctx, PromoteChecked& c) {
    NodeRepository repo(c.local);
    auto recorded_primary = repo.active_primary();
    if (recorded_primary && recorded_primary->id == ctx.config.node_id) {
        c.nothing_to_do = true;
        return;
    }
    for (const auto& n : repo.all()) {
        if (n.id == ctx.config.node_id || n.type == NodeType::Witness || ctx.opts.force) continue;
        bool writable = false;
        try {
            writable = !Connection::open(n.conninfo).in_recovery();
        } catch (const DbError& e) {
            ctx.log.debug("node {} not reachable ({}): not a second primary", n.id, e.detail());
        }
        if (writable)
            fail(ExitCode::Promoted,
                 fmt::format("this node and node {} (\"{}\") both run as primary", n.id, n.name),
                 {}, "decide which one is the primary, stop the other and rejoin it "
                     "with \"repmgr node rejoin --force-rewind\"; -F/--force records "
                     "this node as the primary anyway");
    }
}

std::string ids_text(const std::vector<int>& ids) {
    std::string out;
    for (int id : ids) out += (out.empty() ? "" : ", ") + std::to_string(id);
    return out.empty() ? "none" : out;
}

// synchronous=on|strict: only a recorded zero-loss candidate may be promoted
// without losing acknowledged commits (docs/failover.md "Zero data loss").
// The record is read from this standby's replica and from the witness; the
// newer copy counts.
void check_zero_loss(Context& ctx, Connection& local) {
    if (ctx.config.synchronous != "on" && ctx.config.synchronous != "strict") return;
    std::optional<ZeroLossRecord> rec = read_zero_loss_record(local);
    for (const auto& n : NodeRepository(local).all()) {
        if (n.type != NodeType::Witness || !n.active) continue;
        try {
            Connection w = Connection::open(n.conninfo);
            use_metadata_schema(w, schema_name(ctx.config));
            rec = newer_record(rec, read_zero_loss_record(w));
        } catch (const Failure& f) {
            ctx.log.warning("unable to read the zero-loss candidates on witness node {}: {}", n.id,
                            f.what());
        }
    }
    std::vector<int> ids = rec ? rec->candidate_ids : std::vector<int>{};
    if (std::find(ids.begin(), ids.end(), ctx.config.node_id) != ids.end()) return;
    std::string what = fmt::format(
        "synchronous={}: node {} is not a recorded zero-loss candidate (recorded: node(s) {}); "
        "commits acknowledged by those standbys but not received by this node would be lost",
        ctx.config.synchronous, ctx.config.node_id, ids_text(ids));
    if (!ctx.opts.force)
        fail(ExitCode::Promoted, "this node may lack acknowledged commits: " + what, {},
             "promote one of the recorded candidates, or use -F/--force to promote this node "
             "and accept the loss");
    ctx.log.warning("{}; promoting anyway (-F/--force)", what);
}

PromoteChecked check_promote(Context& ctx) {
    require_node_identity(ctx.config);
    const std::string schema = schema_name(ctx.config);
    PromoteChecked c(connect_running_local(
        ctx, "standby promote needs this node's PostgreSQL running as a standby: start it first"));
    if (!c.local.in_recovery()) {
        c.already_running_as_primary = true;
        check_already_primary(ctx, c);
        return c;
    }

    // Two writable primaries are the worst outcome: refuse unless told otherwise.
    NodeRepository local_repo(c.local);
    c.old_primary = local_repo.active_primary();
    if (auto live = find_primary(c.local, schema)) {
        std::string who = fmt::format("node {} (\"{}\")", live->node.id, live->node.name);
        if (!ctx.opts.force)
            fail(ExitCode::Promoted,
                 fmt::format("this replication cluster already has an active primary: {}", who),
                 fmt::format("{} is reachable at \"{}\" and accepts writes", who,
                             live->node.conninfo),
                 "stop that server first (or use \"repmgr standby switchover\" to swap roles); "
                 "-F/--force promotes anyway and leaves two primaries");
        ctx.log.warning("{} is still running as a primary; promoting anyway (-F/--force)", who);
        c.old_primary = live->node;
    }
    check_zero_loss(ctx, c.local);
    c.data_directory = local_data_directory(ctx, &c.local);
    if (ctx.opts.siblings_follow && c.old_primary)
        c.siblings = standbys_of(local_repo, c.old_primary->id, ctx.config.node_id);
    return c;
}

RolePlan<PromoteStep> plan_promote(const Context& ctx, const PromoteChecked& c) {
    RolePlan<PromoteStep> plan;
    std::string me = fmt::format("node {} (\"{}\")", ctx.config.node_id, ctx.config.node_name);
    if (c.already_running_as_primary) {
        plan.add(PromoteStep::RecordAlreadyPromoted,
                 fmt::format("record {}, already running as a primary, as the cluster's primary "
                             "in the metadata",
                             me));
        return plan;
    }
    plan.add(PromoteStep::Promote,
             fmt::format("promote {} in \"{}\" to primary ({}) and wait up to {} seconds until it "
                         "accepts writes",
                         me, c.data_directory,
                         ctx.config.service_promote_command.empty()
                             ? std::string("pg_promote()")
                             : fmt::format("service_promote_command: {}",
                                           ctx.config.service_promote_command),
                         ctx.config.promote_check_timeout));
    plan.add(PromoteStep::RecordPromotion,
             c.old_primary
                 ? fmt::format("record {} as the primary and the former primary node {} as "
                               "inactive in the metadata, and the standby_promote event",
                               me, c.old_primary->id)
                 : fmt::format("record {} as the primary in the metadata, and the "
                               "standby_promote event",
                               me));
    if (!c.siblings.empty()) {
        std::string names;
        for (const auto& s : c.siblings)
            names += fmt::format("{}node {} (\"{}\")", names.empty() ? "" : ", ", s.id, s.name);
        plan.add(PromoteStep::FollowSiblings,
                 fmt::format("make {} follow this node (\"repmgr standby follow\" over ssh)",
                             names));
    }
    return plan;
}

void execute_promote(Context& ctx, PromoteChecked& c, const RolePlan<PromoteStep>& plan) {
    plan.execute(ctx.log, [&](const auto& step) {
        switch (step.kind) {
        case PromoteStep::RecordAlreadyPromoted:
            record_promotion(ctx, c.local, std::nullopt);
            ctx.record(&c.local, "standby_promote", true,
                       fmt::format("node {} was already promoted; metadata updated",
                                   ctx.config.node_id));
            break;
        case PromoteStep::Promote:
            try {
                promote_local_server(ctx, c.local, c.data_directory);
            } catch (const Failure& f) {
                ctx.record(nullptr, "standby_promote", false, f.what());
                throw;
            }
            break;
        case PromoteStep::RecordPromotion: {
            std::optional<int> old_id;
            if (c.old_primary) old_id = c.old_primary->id;
            record_promotion(ctx, c.local, std::nullopt);
            std::string details =
                c.old_primary ? fmt::format("node {} promoted to primary; former primary node {} "
                                            "marked inactive",
                                            ctx.config.node_id, c.old_primary->id)
                              : fmt::format("node {} promoted to primary", ctx.config.node_id);
            ctx.record(&c.local, "standby_promote", true, details, old_id);
            ctx.log.notice("STANDBY PROMOTE SUCCESSFUL: node {} (\"{}\") is now the primary",
                           ctx.config.node_id, ctx.config.node_name);
            checkpoint_new_timeline(ctx, c.local);
            break;
        }
        case PromoteStep::FollowSiblings: {
            auto new_primary = NodeRepository(c.local).by_id(ctx.config.node_id);
            auto failed = follow_siblings(ctx, c.siblings, *new_primary);
            if (!failed.empty())
                fail(ExitCode::FollowFail,
                     fmt::format("the promotion succeeded, but {} of {} sibling standbys did not "
                                 "follow",
                                 failed.size(), c.siblings.size()),
                     "see the warnings above for each node",
                     "run \"repmgr standby follow\" on those nodes");
            break;
        }
        }
    });
}

}  // namespace

int run_standby_promote(Context& ctx) {
    PromoteChecked c = check_promote(ctx);
    if (c.nothing_to_do) {
        ctx.log.notice("node {} is already the primary; nothing to do", ctx.config.node_id);
        return 0;
    }
    RolePlan<PromoteStep> plan = plan_promote(ctx, c);
    if (ctx.opts.dry_run) {
        plan.print_dry_run(ctx.log, "standby promote");
        return 0;
    }
    execute_promote(ctx, c, plan);
    if (!c.already_running_as_primary && c.old_primary && !ctx.opts.siblings_follow) {
        NodeRepository repo(c.local);
        if (!standbys_of(repo, c.old_primary->id, ctx.config.node_id).empty())
            ctx.log.hint("other standbys still follow the former primary: run \"repmgr standby "
                         "follow\" on them (or use --siblings-follow next time)");
    }
    return 0;
}

}  // namespace repmgr
