#include "actions/role_change.hpp"

#include <fmt/format.h>

#include "actions/registration.hpp"
#include "cluster/replication.hpp"
#include "cluster/slots.hpp"
#include "db/etcd.hpp"
#include "pg/control.hpp"
#include "pg/ssh.hpp"

namespace repmgr {

Connection connect_running_local(Context& ctx, const std::string& hint) {
    Connection local = [&] {
        try {
            return ctx.connect_local();
        } catch (const DbError& e) {
            fail(ExitCode::DbConnection, "unable to connect to this node's server", e.detail(), hint);
        }
    }();
    use_metadata_schema(local, schema_name(ctx.config));
    return local;
}

std::string local_data_directory(const Context& ctx, const std::string& given, Connection* local) {
    if (!given.empty()) return given;
    if (!ctx.config.data_directory.empty()) return ctx.config.data_directory;
    if (local) return server_data_directory(*local);
    fail(ExitCode::BadConfig, "this node's data directory is not known", {},
         "set data_directory in repmgr.conf, or give it with -D/--pgdata");
}

std::string local_data_directory(Context& ctx, Connection* local) {
    return local_data_directory(ctx, ctx.opts.pgdata, local);
}

std::optional<std::string> planned_slot_name(const Context& ctx,
                                             const std::optional<NodeRecord>& my_record) {
    if (!ctx.config.use_replication_slots) return std::nullopt;
    return my_record && my_record->slot_name ? *my_record->slot_name
                                             : fmt::format("repmgr_slot_{}", ctx.config.node_id);
}

std::optional<std::string> prepare_slot(Context& ctx, Connection& upstream,
                                        const std::optional<NodeRecord>& my_record) {
    auto slot = planned_slot_name(ctx, my_record);
    if (slot) create_slot_if_missing(upstream, *slot);
    return slot;
}

StandbySettings standby_settings_for(const Context& ctx, const NodeRecord& upstream,
                                     const std::optional<std::string>& slot) {
    StandbySettings s;
    s.primary_conninfo = build_primary_conninfo(upstream.conninfo, ctx.config.node_name,
                                                ctx.config.replication_user);
    s.primary_slot_name = slot;
    s.restore_command = ctx.config.restore_command;
    s.recovery_min_apply_delay = ctx.config.recovery_min_apply_delay;
    return s;
}

namespace {

// arbiter=etcd: the promoted node takes the leader key at once, on a lease of
// its own, so that its repmgrd does not find the old primary's key and fence
// it until that lease runs out (a switchover), and so that an old primary
// still running somewhere fences itself at its next renewal.
void take_leader_key(Context& ctx) {
    if (ctx.config.arbiter != "etcd") return;
    try {
        EtcdClient etcd(etcd_options(ctx.config));
        etcd.put(etcd_prefix(ctx.config) + "leader", std::to_string(ctx.config.node_id),
                 etcd.grant(ctx.config.etcd_ttl));
        ctx.log.notice("node {} holds the leader key on etcd now", ctx.config.node_id);
    } catch (const EtcdError& e) {
        ctx.log.warning("node {} could not take the leader key on etcd: {}", ctx.config.node_id,
                        e.what());
        ctx.log.hint("repmgrd on this node takes it once etcd answers and the old primary's lease "
                     "has run out (etcd_ttl); until then it keeps this node read-only");
    }
}

}  // namespace

void promote_local_server(Context& ctx, Connection& local, const std::string& data_directory) {
    ServerControl control(ctx.config, ctx.log, data_directory);
    control.promote(local);
    if (!wait_until_writable(local, ctx.config.promote_check_timeout))
        fail(ExitCode::Promoted,
             fmt::format("node {} still does not accept writes {} seconds after the promotion "
                         "request",
                         ctx.config.node_id, ctx.config.promote_check_timeout),
             {},
             "check the server log; when it finishes promoting, run \"repmgr standby promote\" "
             "again to update the metadata");
    take_leader_key(ctx);
}

void checkpoint_new_timeline(Context& ctx, Connection& new_primary) {
    try {
        run_checkpoint(new_primary);
    } catch (const Failure& f) {
        ctx.log.warning("CHECKPOINT after the promotion of node {} failed: {}", ctx.config.node_id,
                        f.what());
        ctx.log.hint("until this server's next checkpoint, a pg_rewind of it fails; run "
                     "CHECKPOINT on it as a superuser (or a member of pg_checkpoint)");
    }
}

void record_promotion(Context& ctx, Connection& new_primary, std::optional<int> demoted) {
    NodeRepository repo(new_primary);
    Transaction tx(new_primary);
    for (auto& node : repo.all()) {
        if (node.id == ctx.config.node_id) continue;
        if (demoted && node.id == *demoted) {
            node.type = NodeType::Standby;
            node.upstream_node_id = ctx.config.node_id;
            node.active = false;
            repo.upsert(node);
        } else if (node.type == NodeType::Master && node.active) {
            repo.set_active(node.id, false);
        } else if (node.type == NodeType::Witness) {
            repo.set_upstream(node.id, ctx.config.node_id);  // the witness syncs from here now
        }
    }
    if (repo.by_id(ctx.config.node_id))
        repo.make_primary(ctx.config.node_id);
    else
        repo.upsert(node_record_from_config(ctx.config, NodeType::Master, std::nullopt));
    tx.commit();
}

std::vector<NodeRecord> standbys_of(NodeRepository& repo, int upstream_id, int exclude_id) {
    std::vector<NodeRecord> out;
    for (auto& node : repo.all())
        if (node.type == NodeType::Standby && node.active && node.id != exclude_id &&
            node.upstream_node_id == upstream_id)
            out.push_back(std::move(node));
    return out;
}

std::vector<std::string> follow_siblings(Context& ctx, const std::vector<NodeRecord>& siblings,
                                         const NodeRecord& new_primary) {
    std::vector<std::string> failed;
    for (const auto& sibling : siblings) {
        std::vector<std::string> argv = remote_repmgr_argv(
            ctx.config, sibling,
            {"standby", "follow", fmt::format("--upstream-node-id={}", new_primary.id)});
        RemoteShell remote(ssh_host_of(sibling.conninfo), ctx.config.ssh_options, ctx.log,
                           ctx.config.ssh_timeout);
        ctx.log.notice("making node {} (\"{}\") follow node {} (on host \"{}\" over ssh)",
                       sibling.id, sibling.name, new_primary.id, remote.host());
        ProcessResult r = remote.run(argv);
        if (r.exit_status == 0) {
            while (!r.output.empty() && r.output.back() == '\n') r.output.pop_back();
            ctx.log.info("node {}: {}", sibling.id, r.output);
            continue;
        }
        failed.push_back(sibling.name);
        std::string command;
        for (const auto& a : argv) command += (command.empty() ? "" : " ") + shell_quote(a);
        ctx.log.warning("node {} (\"{}\") could not be made to follow node {} (exit status {})",
                        sibling.id, sibling.name, new_primary.id, r.exit_status);
        ctx.log.detail(r.output);
        ctx.log.hint(fmt::format("run on host \"{}\": {}", remote.host(), command));
    }
    return failed;
}

}  // namespace repmgr
