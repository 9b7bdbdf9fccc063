// repmgr standby register | unregister
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "actions/actions.hpp"
#include "actions/registration.hpp"
#include "cluster/nodes.hpp"

namespace repmgr {
namespace {

// Polls the standby's own copy of repl_nodes until the record has replicated.
bool wait_for_record(Connection& local, const NodeRecord& me, int seconds) {
    NodeRepository repo(local);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    for (;;) {
        if (auto r = repo.by_id(me.id); r && r->same_registration(me)) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

}  // namespace

int run_standby_register(Context& ctx) {
    require_node_identity(ctx.config);
    std::optional<Connection> local;
    try {
        local = ctx.connect_local();
    } catch (const DbError& e) {
        if (!ctx.opts.force) throw;
        ctx.log.warning("this node's server is not reachable; registering anyway (-F/--force)");
    }
    if (local && !local->in_recovery())
        fail(ExitCode::BadConfig, "this node is not in recovery: it is not a standby", {},
             "run \"repmgr primary register\" on a primary");
    if (local) use_metadata_schema(*local, schema_name(ctx.config));

    PrimaryConnection primary = connect_cluster_primary(ctx);
    NodeRepository repo(primary.conn);

    int upstream = primary.node.id;
    if (ctx.opts.upstream_node_id)
        upstream = *ctx.opts.upstream_node_id;
    else if (ctx.config.upstream_node_id > 0)
        upstream = ctx.config.upstream_node_id;
    if (upstream == ctx.config.node_id)
        fail(ExitCode::BadConfig, "a node cannot be its own upstream", {},
             "check --upstream-node-id and upstream_node in repmgr.conf");
    auto upstream_record = repo.by_id(upstream);
    if (!upstream_record && !ctx.opts.force)
        fail(ExitCode::BadConfig, fmt::format("upstream node {} is not registered", upstream), {},
             "register the upstream node first, or use -F/--force");
    if (upstream_record && !upstream_record->active && !ctx.opts.force)
        fail(ExitCode::BadConfig, fmt::format("upstream node {} is marked inactive", upstream), {},
             "choose an active upstream, or use -F/--force");

    NodeRecord me = node_record_from_config(ctx.config, NodeType::Standby, upstream);
    if (auto existing = repo.by_id(me.id); existing && existing->slot_name && !me.slot_name)
        me.slot_name = existing->slot_name;
    fit_record_to_schema(ctx, repo, me);
    if (registration_unchanged(ctx, repo, me, "standby")) return 0;

    if (ctx.opts.dry_run) {
        ctx.log.notice("[dry run] would register node {} (\"{}\") as standby of node {}", me.id,
                       me.name, upstream);
        return 0;
    }
    repo.upsert(me);
    ctx.record(&primary.conn, "standby_register", true,
               fmt::format("standby registration succeeded; upstream node ID is {}", upstream),
               upstream);

    if (local) {
        int seconds = ctx.opts.wait_sync.value_or(30);
        if (!wait_for_record(*local, me, seconds)) {
            std::string msg = fmt::format(
                "the record of node {} has not reached this standby after {} seconds", me.id,
                seconds);
            if (ctx.opts.wait_sync)
                fail(ExitCode::RegistrationSync, msg,
                     "the record is written on the primary; replication to this node is lagging",
                     "check \"repmgr cluster show\" and replication on the primary");
            ctx.log.warning("{}", msg);
        }
    }
    ctx.log.notice("standby node correctly registered for cluster {} with id {} (conninfo: {})",
                   ctx.config.cluster, me.id, me.conninfo);
    return 0;
}

int run_standby_unregister(Context& ctx) {
    return unregister_node(ctx, NodeType::Standby, nullptr);
}

}  // namespace repmgr
