// repmgr cluster import-repmgr5
//
// Takes a live repmgr 5 cluster over: every node repmgr 5 records in its own
// metadata (repmgr.nodes) is registered in ours, on the primary, with the same
// id, name, type, upstream, priority, location, slot and repmgr.conf path. No
// server restarts, nothing re-cloned, nothing of repmgr 5's is changed, so it
// can run while repmgr 5's repmgrd still manages the cluster. It lives in the
// "cluster" group because it writes every node's record at once, as "cluster
// cleanup" acts on the whole cluster's history; the verb names the source.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "actions/actions.hpp"
#include "cluster/nodes.hpp"
#include "cluster/repmgr5.hpp"
#include "cluster/witness.hpp"

namespace repmgr {
namespace {

constexpr std::string_view kNoRepmgr5Hint =
    "run it on a node of a repmgr 5 cluster (the primary's metadata is the one read), or give "
    "one with -h/-p/-U/-d";

NodeRecord to_record(const Repmgr5Node& n, const std::string& cluster) {
    NodeRecord r;
    r.id = n.id;
    if (n.type == "primary")
        r.type = NodeType::Master;
    else if (n.type == "standby" || n.type == "witness")
        r.type = parse_node_type(n.type);
    else
        fail(ExitCode::BadConfig,
             fmt::format("repmgr 5 records node {} (\"{}\") as type \"{}\"", n.id, n.name, n.type),
             "only primary, standby and witness nodes can be moved",
             "unregister that node with repmgr 5 first");
    r.upstream_node_id = n.upstream_node_id;
    r.cluster = cluster;
    r.name = n.name;
    r.conninfo = n.conninfo;
    r.slot_name = n.slot_name;
    r.priority = n.priority;
    r.active = n.active;
    r.location = n.location;
    r.config_file = n.config_file;
    return r;
}

std::string describe(const NodeRecord& n) {
    std::string role(node_role_label(n.type));
    if (n.upstream_node_id) role += fmt::format(" of node {}", *n.upstream_node_id);
    return fmt::format("node {} (\"{}\") as {}{} (priority {}, location \"{}\"{})", n.id, n.name,
                       role, n.active ? "" : ", inactive", n.priority, n.location,
                       n.slot_name ? fmt::format(", slot \"{}\"", *n.slot_name) : "");
}

// The server repmgr 5 records as its active primary, checked to be writable;
// the records are read again there (a standby's copy may lag).
struct Repmgr5Primary {
    Connection conn;
    std::vector<Repmgr5Node> nodes;
};

Repmgr5Primary connect_repmgr5_primary(Context& ctx) {
    std::optional<std::string> up = ctx.upstream_conninfo();
    Connection entry = up ? Connection::open(*up) : ctx.connect_local();
    if (!repmgr5_metadata_exists(entry))
        fail(ExitCode::BadConfig, "no repmgr 5 metadata (table repmgr.nodes) on this server", {},
             std::string(kNoRepmgr5Hint));
    std::vector<const Repmgr5Node*> primaries;
    std::vector<Repmgr5Node> seen = read_repmgr5_nodes(entry);
    for (const auto& n : seen)
        if (n.active && n.type == "primary") primaries.push_back(&n);
    if (primaries.size() != 1)
        fail(ExitCode::BadConfig,
             fmt::format("repmgr 5 records {} active primaries", primaries.size()),
             "the import needs exactly one, to write our metadata on it",
             "bring repmgr 5's records up to date with repmgr 5 (\"repmgr cluster show\") first");
    const Repmgr5Node& p = *primaries.front();
    Connection conn = Connection::open(p.conninfo);
    if (conn.in_recovery())
        fail(ExitCode::BadConfig,
             fmt::format("node {} (\"{}\"), recorded by repmgr 5 as the primary, is in recovery",
                         p.id, p.name),
             "repmgr 5's records are out of date",
             "bring them up to date with repmgr 5 (\"repmgr cluster show\") first");
    if (!repmgr5_metadata_exists(conn))
        fail(ExitCode::BadConfig,
             fmt::format("no repmgr 5 metadata on node {} (\"{}\"), its primary", p.id, p.name),
             {}, std::string(kNoRepmgr5Hint));
    std::vector<Repmgr5Node> nodes = read_repmgr5_nodes(conn);
    return Repmgr5Primary{std::move(conn), std::move(nodes)};
}

struct ImportPlan {
    std::vector<NodeRecord> add;        // not registered in our metadata yet
    std::vector<NodeRecord> replace;    // registered differently: only with -F
    std::vector<NodeRecord> unchanged;
    std::optional<NodeRecord> demote;   // our active primary that repmgr 5 does not list: -F
    std::vector<std::string> differences;
};

ImportPlan plan_import(Connection& conn, const std::string& schema,
                       const std::vector<NodeRecord>& records) {
    ImportPlan plan;
    if (!metadata_schema_exists(conn, schema)) {
        plan.add = records;
        return plan;
    }
    conn.set_search_path(schema);
    NodeRepository repo(conn);
    for (NodeRecord r : records) {
        if (auto named = repo.by_name(r.name); named && named->id != r.id)
            fail(ExitCode::BadConfig,
                 fmt::format("node name \"{}\" of repmgr 5's node {} is already used by node {}",
                             r.name, r.id, named->id),
                 {}, "node names must be unique: unregister node " + std::to_string(named->id) +
                         " first");
        auto existing = repo.by_id(r.id);
        if (!existing) {
            plan.add.push_back(r);
            continue;
        }
        // repmgr 5 did not record the path: the one we have stays (upsert keeps it).
        if (!r.config_file) r.config_file = existing->config_file;
        if (existing->same_registration(r)) {
            plan.unchanged.push_back(r);
        } else {
            plan.differences.push_back(fmt::format("registered: {}; repmgr 5: {}",
                                                   describe(*existing), describe(r)));
            plan.replace.push_back(r);
        }
    }
    if (auto ours = repo.active_primary()) {
        bool listed = false;
        for (const auto& r : records) listed = listed || r.id == ours->id;
        if (!listed) {
            plan.differences.push_back(fmt::format(
                "registered as active primary: {}; repmgr 5 does not list it", describe(*ours)));
            plan.demote = ours;
        }
    }
    return plan;
}

// repmgr 5's repmgrd and ours must not manage the cluster at the same time;
// the import itself is harmless to it, so this only warns.
void warn_running_repmgrd5(Context& ctx, const std::vector<Repmgr5Node>& nodes) {
    std::vector<std::string> running;
    for (const auto& n : nodes) {
        if (!n.active) continue;
        try {
            Connection c = Connection::open(n.conninfo, 2);
            if (repmgr5_daemon_running(c).value_or(false)) running.push_back(std::to_string(n.id));
        } catch (const DbError&) {
            ctx.log.warning("node {} (\"{}\") is not reachable: whether repmgr 5's repmgrd runs "
                            "there is unknown",
                            n.id, n.name);
        }
    }
    if (running.empty()) return;
    ctx.log.warning("repmgr 5's repmgrd is running on node(s) {}", fmt::join(running, ", "));
    ctx.log.hint("stop it on every node before starting this repmgrd on any: two daemons must "
                 "never manage one cluster");
}

// Whether the witness's server holds our metadata with the primary's records
// (repmgrd on the witness needs it to start; `witness register` does the same
// copy). The primary's connection uses the metadata schema.
bool witness_copy_current(Connection& primary, Connection& witness, const std::string& schema) {
    if (!metadata_schema_exists(witness, schema)) return false;
    witness.set_search_path(schema);
    std::vector<NodeRecord> ours = NodeRepository(primary).all();
    std::vector<NodeRecord> theirs = NodeRepository(witness).all();
    if (ours.size() != theirs.size()) return false;
    for (size_t i = 0; i < ours.size(); ++i)
        if (!ours[i].same_registration(theirs[i])) return false;
    return true;
}

// A witness is not a replica: its copy of the metadata is written by us, as
// `witness register` would. Returns the ids of the witnesses brought up to date
// (or, in a dry run, that would be).
std::vector<int> sync_witnesses(Context& ctx, Connection& primary, const std::string& schema,
                                const std::vector<NodeRecord>& records, bool primary_has_schema) {
    std::vector<int> synced;
    for (const auto& w : records) {
        if (w.type != NodeType::Witness || !w.active) continue;
        try {
            Connection conn = Connection::open(w.conninfo, 5);
            if (primary_has_schema && witness_copy_current(primary, conn, schema)) continue;
            if (ctx.opts.dry_run) {
                ctx.log.notice("[dry run] would copy our metadata to witness node {} (\"{}\")",
                               w.id, w.name);
            } else {
                Transaction tx(conn);
                install_metadata_schema(conn, schema);
                tx.commit();
                int copied = copy_node_records(primary, conn);
                ctx.log.notice("{} node record(s) copied to witness node {} (\"{}\")", copied,
                               w.id, w.name);
            }
            synced.push_back(w.id);
        } catch (const DbError& e) {
            ctx.log.warning("witness node {} (\"{}\") did not get our metadata: {}", w.id, w.name,
                            e.what());
            ctx.log.hint(fmt::format("run \"repmgr cluster import-repmgr5\" again once it is "
                                     "reachable, or \"repmgr witness register -F -h <primary>\" "
                                     "on node {}",
                                     w.id));
        }
    }
    return synced;
}

}  // namespace

int run_cluster_import_repmgr5(Context& ctx) {
    require_node_identity(ctx.config);
    Repmgr5Primary primary = connect_repmgr5_primary(ctx);
    std::vector<NodeRecord> records;
    for (const auto& n : primary.nodes) records.push_back(to_record(n, ctx.config.cluster));

    const std::string schema = schema_name(ctx.config);
    ImportPlan plan = plan_import(primary.conn, schema, records);
    if (!plan.differences.empty() && !ctx.opts.force) {
        ctx.log.error("{} node(s) are registered in cluster \"{}\" otherwise than repmgr 5 records "
                      "them",
                      plan.differences.size(), ctx.config.cluster);
        for (const auto& d : plan.differences) ctx.log.detail(d);
        fail(ExitCode::BadConfig, "nothing imported",
             "once this repmgrd runs, our records are the current ones (e.g. after a failover) "
             "and repmgr 5's are stale",
             "leave them, or use -F/--force to overwrite them with repmgr 5's records");
    }
    warn_running_repmgrd5(ctx, primary.nodes);
    if (plan.add.empty() && plan.replace.empty() && !plan.demote) {
        std::vector<int> synced = sync_witnesses(ctx, primary.conn, schema, records, true);
        if (synced.empty()) {
            ctx.log.notice("all {} node(s) of the repmgr 5 cluster are already registered in "
                           "cluster \"{}\"; nothing to do",
                           plan.unchanged.size(), ctx.config.cluster);
        } else if (!ctx.opts.dry_run) {
            ctx.record(&primary.conn, "cluster_import_repmgr5", true,
                       fmt::format("all {} node(s) already registered; metadata copied to "
                                   "witness node(s) {}",
                                   plan.unchanged.size(), fmt::join(synced, ", ")));
        }
        return 0;
    }
    std::string_view verb = ctx.opts.dry_run ? "[dry run] would register" : "registering";
    for (const auto& r : plan.add) ctx.log.notice("{} {}", verb, describe(r));
    for (const auto& r : plan.replace)
        ctx.log.notice("{} {} (-F/--force: replaces our record)", verb, describe(r));
    if (plan.demote)
        ctx.log.notice("{} node {} as inactive (-F/--force: repmgr 5 does not list it)",
                       ctx.opts.dry_run ? "[dry run] would mark" : "marking", plan.demote->id);
    if (ctx.opts.dry_run) {
        sync_witnesses(ctx, primary.conn, schema, records, false);
        return 0;
    }

    {
        Transaction tx(primary.conn);
        install_metadata_schema(primary.conn, schema);
        NodeRepository repo(primary.conn);
        if (plan.demote) repo.set_active(plan.demote->id, false);
        for (const auto& r : plan.add) repo.upsert(r);
        for (const auto& r : plan.replace) repo.upsert(r);
        tx.commit();
    }
    std::vector<int> ids;
    for (const auto& r : plan.add) ids.push_back(r.id);
    for (const auto& r : plan.replace) ids.push_back(r.id);
    std::string details = fmt::format(
        "{} node(s) registered from repmgr 5's records (ids {}), {} already registered",
        ids.size(), fmt::join(ids, ", "), plan.unchanged.size());
    std::vector<int> synced = sync_witnesses(ctx, primary.conn, schema, records, true);
    if (!synced.empty())
        details += fmt::format("; metadata copied to witness node(s) {}", fmt::join(synced, ", "));
    ctx.record(&primary.conn, "cluster_import_repmgr5", true, details);
    ctx.log.notice("{} in cluster \"{}\"", details, ctx.config.cluster);
    ctx.log.hint("check with \"repmgr cluster show\"; then stop repmgr 5's repmgrd on every node "
                 "and start this repmgrd on every node");
    return 0;
}

}  // namespace repmgr
