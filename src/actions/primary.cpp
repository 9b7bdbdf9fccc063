// repmgr primary register | unregister
#include <fmt/format.h>

#include "actions/actions.hpp"
#include "actions/registration.hpp"
#include "cluster/nodes.hpp"
#include "cluster/topology.hpp"

namespace repmgr {

int run_primary_register(Context& ctx) {
    require_node_identity(ctx.config);
    Connection conn = ctx.connect_local();
    if (conn.in_recovery())
        fail(ExitCode::BadConfig, "server is in recovery mode: this node is a standby",
             {}, "run \"repmgr standby register\" on a standby, \"primary register\" on the primary");

    const std::string schema = schema_name(ctx.config);
    NodeRecord me = node_record_from_config(ctx.config, NodeType::Master, std::nullopt);

    if (metadata_schema_exists(conn, schema)) {
        conn.set_search_path(schema);
        NodeRepository repo(conn);
        if (registration_unchanged(ctx, repo, me, "primary")) {
            // Re-running is how a newer binary upgrades the schema in place.
            if (!ctx.opts.dry_run) install_metadata_schema(conn, schema);
            return 0;
        }
        if (auto other = repo.active_primary(); other && other->id != me.id) {
            if (!ctx.opts.force)
                fail(ExitCode::BadConfig,
                     fmt::format("node {} (\"{}\") is already registered as the active primary",
                                 other->id, other->name),
                     {}, "unregister it first, or use -F/--force to mark it inactive");
            ctx.log.warning("marking former primary node {} (\"{}\") inactive", other->id,
                            other->name);
        }
    }
    if (ctx.opts.dry_run) {
        ctx.log.notice("[dry run] would register node {} (\"{}\") as primary of cluster \"{}\"",
                       me.id, me.name, ctx.config.cluster);
        return 0;
    }

    {
        Transaction tx(conn);
        install_metadata_schema(conn, schema);
        NodeRepository repo(conn);
        if (auto other = repo.active_primary(); other && other->id != me.id)
            repo.set_active(other->id, false);
        repo.upsert(me);
        tx.commit();
    }
    ctx.record(&conn, "master_register", true,
               fmt::format("node {} registered as primary", me.id));
    ctx.log.notice("master node correctly registered for cluster {} with id {} (conninfo: {})",
                   ctx.config.cluster, me.id, me.conninfo);
    return 0;
}

namespace {

// The running primary, or one that standbys still stream from, stays
// registered unless forced: its standbys would lose their upstream's record.
void check_primary_unregister(Context& ctx, NodeRepository& repo, const NodeRecord& target,
                              const PrimaryConnection& primary) {
    if (ctx.opts.force) return;
    if (target.id == primary.node.id)
        fail(ExitCode::BadConfig,
             fmt::format("node {} (\"{}\") is the running primary of this cluster", target.id,
                         target.name),
             "unregistering it would leave its standbys without a primary in the metadata",
             "promote a standby first, or use -F/--force");
    int children = 0;
    for (const auto& n : repo.all())
        if (n.upstream_node_id == target.id && n.active) ++children;
    if (children > 0)
        fail(ExitCode::BadConfig,
             fmt::format("node {} still has {} active standby node(s) attached", target.id, children),
             {}, "make them follow another node first, or use -F/--force");
}

}  // namespace

int run_primary_unregister(Context& ctx) {
    return unregister_node(ctx, NodeType::Master, check_primary_unregister);
}

}  // namespace repmgr
