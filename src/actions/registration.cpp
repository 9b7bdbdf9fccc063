#include "actions/registration.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "actions/node_selection.hpp"
#include "cluster/slots.hpp"

namespace repmgr {

NodeRecord node_record_from_config(const Config& config, NodeType type,
                                   std::optional<int> upstream) {
    NodeRecord n;
    n.id = config.node_id;
    n.type = type;
    n.upstream_node_id = upstream;
    n.cluster = config.cluster;
    n.name = config.node_name;
    n.conninfo = config.conninfo;
    n.priority = config.priority;
    n.active = true;
    n.location = config.location;
    // Absolute, as repmgr 5 records it: the path is used from other hosts'
    // ssh sessions, whose working directory is not ours.
    if (!config.source_file.empty())
        n.config_file =
            std::filesystem::absolute(config.source_file).lexically_normal().string();
    if (config.use_replication_slots && type == NodeType::Standby)
        n.slot_name = fmt::format("repmgr_slot_{}", config.node_id);
    return n;
}

void fit_record_to_schema(Context& ctx, NodeRepository& repo, NodeRecord& me) {
    if (!me.config_file || repo.stores_config_file()) return;
    ctx.log.warning("the cluster's metadata predates schema version {}: the path of this node's "
                    "repmgr.conf is not recorded",
                    kConfigFileSchemaVersion);
    ctx.log.detail("commands run on this node over ssh will use remote_config_file, or the "
                   "path of the repmgr.conf of the node that runs them");
    ctx.log.hint("run \"repmgr primary register\" on the primary with this version to upgrade "
                 "the schema, then register this node again with -F/--force");
    me.config_file.reset();
}

bool registration_unchanged(Context& ctx, NodeRepository& repo, const NodeRecord& me,
                            std::string_view role) {
    if (auto named = repo.by_name(me.name); named && named->id != me.id)
        fail(ExitCode::BadConfig,
             fmt::format("node name \"{}\" is already used by node {}", me.name, named->id),
             {}, "node names must be unique: change node_name in repmgr.conf");
    auto existing = repo.by_id(me.id);
    if (!existing) return false;
    if (existing->same_registration(me)) {
        ctx.log.notice("node {} (\"{}\") is already registered as {}; nothing to do", me.id,
                       me.name, role);
        return true;
    }
    NodeRecord with_path = *existing;
    with_path.config_file = me.config_file;
    if (!existing->config_file && with_path.same_registration(me)) {
        // Registered by a version that did not record the path: record it,
        // nothing else changes, so no -F/--force is needed.
        ctx.log.notice("recording the path of node {}'s repmgr.conf: \"{}\"", me.id,
                       me.config_file.value_or(""));
        return false;
    }
    if (!ctx.opts.force)
        fail(ExitCode::BadConfig,
             fmt::format("node {} is already registered as {} \"{}\" with different settings",
                         me.id, node_type_name(existing->type), existing->name),
             fmt::format("registered: type={} name={} conninfo={} priority={} active={} "
                         "config_file={}",
                         node_type_name(existing->type), existing->name, existing->conninfo,
                         existing->priority, existing->active,
                         existing->config_file.value_or("(not recorded)")),
             "use -F/--force to overwrite the record with this node's repmgr.conf");
    ctx.log.warning("updating the existing record of node {} (-F/--force)", me.id);
    return false;
}

PrimaryConnection connect_cluster_primary(Context& ctx) {
    const std::string schema = schema_name(ctx.config);
    std::string local_error;
    std::optional<Connection> entry;
    try {
        entry = ctx.connect_local();
    } catch (const DbError& e) {
        local_error = e.detail();
        if (auto up = ctx.upstream_conninfo()) entry = Connection::open(*up);
    }
    if (!entry)
        fail(ExitCode::DbConnection, "unable to connect to this node's database", local_error,
             "start this node's server, or give a running node of the cluster with -h/-p/-U/-d");
    use_metadata_schema(*entry, schema);
    if (!entry->in_recovery()) {
        // The entry point itself is writable: it is the primary if registered as such,
        // otherwise look the primary up like from a standby.
        NodeRepository repo(*entry);
        if (auto p = repo.active_primary(); p && p->conninfo == ctx.config.conninfo)
            return PrimaryConnection{std::move(*entry), *p};
    }
    if (auto p = find_primary(*entry, schema)) return std::move(*p);
    fail(ExitCode::DbConnection, "unable to find a running primary for this cluster", {},
         "check \"repmgr cluster show\"; the primary must be running and registered");
}

Connection connect_metadata(Context& ctx) {
    std::optional<Connection> conn;
    std::string why;
    if (ctx.have_config && !ctx.config.conninfo.empty()) {
        try {
            conn = Connection::open(ctx.config.conninfo);
        } catch (const DbError& e) {
            why = e.detail();
            if (!ctx.upstream_conninfo()) throw;
        }
    }
    if (!conn) {
        auto up = ctx.upstream_conninfo();
        if (!up)
            fail(ExitCode::BadConfig, "no database to read the cluster metadata from", why,
                 "give repmgr.conf with -f, or a node of the cluster with -h/-p/-U/-d");
        conn = Connection::open(*up);
    }
    if (ctx.config.cluster.empty())
        fail(ExitCode::BadConfig, "\"cluster\" is not set", {},
             "set cluster=<name> in repmgr.conf (the same on every node)");
    use_metadata_schema(*conn, schema_name(ctx.config));
    return std::move(*conn);
}

int unregister_node(Context& ctx, NodeType expected, UnregisterCheck check,
                    std::optional<PrimaryConnection> primary) {
    require_node_identity(ctx.config);
    if (!primary) primary = connect_cluster_primary(ctx);
    NodeRepository repo(primary->conn);
    int target_id = selected_node_id(ctx.opts, repo).value_or(ctx.config.node_id);
    const std::string_view role = node_role_label(expected);

    auto target = repo.by_id(target_id);
    if (!target) {
        ctx.log.notice("node {} is not registered; nothing to do", target_id);
        return 0;
    }
    if (target->type != expected)
        fail(ExitCode::BadConfig,
             fmt::format("node {} is a {}, not a {}", target_id, node_role_label(target->type), role),
             {}, fmt::format("use \"repmgr {} unregister\"", node_role_label(target->type)));
    if (check) check(ctx, repo, *target, *primary);
    if (ctx.opts.dry_run) {
        ctx.log.notice("[dry run] would unregister {} node {} (\"{}\")", role, target->id,
                       target->name);
        return 0;
    }
    repo.remove(target->id);
    if (target->slot_name) drop_slot_if_unused(primary->conn, *target->slot_name, ctx.log);
    ctx.record(&primary->conn, fmt::format("{}_unregister", node_type_name(expected)), true,
               fmt::format("{} node {} unregistered", role, target->id), target->id);
    ctx.log.notice("{} node {} (\"{}\") unregistered", role, target->id, target->name);
    return 0;
}

}  // namespace repmgr
