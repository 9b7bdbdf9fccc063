// repmgr node rejoin: bring a stopped former primary (or standby) back into
// the cluster as a standby, rewinding it with pg_rewind when its history
// diverged from the primary's.
#include <fmt/format.h>

#include "actions/actions.hpp"
#include "actions/registration.hpp"
#include "actions/role_change.hpp"
#include "cluster/nodes.hpp"
#include "cluster/replication.hpp"
#include "cluster/topology.hpp"
#include "pg/control.hpp"
#include "pg/rewind.hpp"

namespace repmgr {
namespace {

// Does the stopped data directory need pg_rewind before it can follow `upstream`?
struct RewindAssessment {
    bool needed = false;
    bool certain = true;  // false: only pg_rewind itself can tell
    std::string reason;
};

RewindAssessment assess(const ControlData& cd, const std::string& upstream_conninfo) {
    if (!cd.shut_down_cleanly()) {
        if (!cd.was_standby())
            // Crash recovery writes an end-of-recovery checkpoint on the old
            // timeline: past the new primary's switch point by construction.
            return {true, true,
                    fmt::format("the data directory was not shut down cleanly (state \"{}\"); "
                                "crash recovery would put it past the new primary's history",
                                cd.state)};
        return {true, false, fmt::format("the standby was not shut down cleanly (state \"{}\")",
                                         cd.state)};
    }
    // The end of the WAL is at least just past the last checkpoint record
    // (+1: the record starting at that position must exist upstream too), and
    // for a standby at least its minimum recovery point.
    WalPosition mine{cd.checkpoint_timeline, parse_lsn(cd.checkpoint_lsn).value_or(0) + 1};
    if (auto min_rec = parse_lsn(cd.min_recovery_lsn); min_rec && *min_rec > mine.lsn) {
        mine.lsn = *min_rec;
        if (cd.min_recovery_timeline > 0) mine.timeline = cd.min_recovery_timeline;
    }
    FollowCheck check = check_can_follow(mine, upstream_conninfo);
    if (check.verdict == FollowVerdict::Diverged) return {true, true, check.reason};
    // A standby may hold received WAL beyond its minimum recovery point.
    if (cd.was_standby())
        return {false, false, "no divergence seen up to the standby's minimum recovery point"};
    return {false, true, "the node's history is contained in the upstream's"};
}

}  // namespace

int run_node_rejoin(Context& ctx) {
    require_node_identity(ctx.config);
    const std::string schema = schema_name(ctx.config);
    auto entry_conninfo = ctx.upstream_conninfo();
    if (!entry_conninfo)
        fail(ExitCode::BadConfig, "node rejoin needs the connection string of a running node",
             {}, "give it with -d, e.g. -d 'host=node1 user=repmgr dbname=repmgr'");
    std::string data_directory = local_data_directory(ctx, nullptr);
    ServerControl control(ctx.config, ctx.log, data_directory);
    if (control.is_running())
        fail(ExitCode::RejoinFail,
             fmt::format("PostgreSQL is running in \"{}\"", data_directory), {},
             "node rejoin brings back a stopped node: stop it first (or use \"repmgr standby "
             "follow\" for a running standby)");

    Connection entry = [&] {
        try {
            return Connection::open(*entry_conninfo);
        } catch (const DbError& e) {
            fail(ExitCode::DbConnection,
                 fmt::format("unable to connect to \"{}\"", *entry_conninfo), e.detail(),
                 "-d must name a running node of the cluster");
        }
    }();
    use_metadata_schema(entry, schema);
    auto primary = find_primary(entry, schema);
    if (!primary)
        fail(ExitCode::RejoinFail, "no running primary found for this cluster", {},
             "promote a standby first (\"repmgr standby promote\")");
    if (primary->node.id == ctx.config.node_id)
        fail(ExitCode::RejoinFail, "this node is recorded as the running primary", {},
             "check \"repmgr cluster show\": another server may be using this node's conninfo");
    NodeRepository repo(primary->conn);
    NodeRecord upstream = primary->node;
    if (ctx.opts.upstream_node_id) {
        auto chosen = repo.by_id(*ctx.opts.upstream_node_id);
        if (!chosen || *ctx.opts.upstream_node_id == ctx.config.node_id)
            fail(ExitCode::BadConfig,
                 fmt::format("node {} cannot be this node's upstream", *ctx.opts.upstream_node_id),
                 {}, "check the id with \"repmgr cluster show\"");
        upstream = *chosen;
    }
    std::string who = fmt::format("node {} (\"{}\")", upstream.id, upstream.name);

    ControlData cd = read_control_data(ctx.config, data_directory);
    RewindAssessment rewind = assess(cd, upstream.conninfo);
    bool run_rewind = rewind.needed || (!rewind.certain && ctx.opts.force_rewind);
    std::string why_not_possible;
    if (run_rewind && !cd.rewindable())
        why_not_possible = "neither wal_log_hints nor data checksums are enabled on this node";
    ctx.log.info("rewind assessment: {}", rewind.reason);

    if (ctx.opts.dry_run) {
        ctx.log.notice("[dry run] upstream would be {}", who);
        if (!rewind.needed)
            ctx.log.notice("[dry run] no rewind needed: {}{}", rewind.reason,
                           run_rewind ? " (pg_rewind would still run to make sure)" : "");
        else
            ctx.log.notice("[dry run] a rewind is needed: {}", rewind.reason);
        if (run_rewind && why_not_possible.empty())
            ctx.log.notice("[dry run] pg_rewind is possible (wal_log_hints={}, data checksums={})",
                           cd.wal_log_hints ? "on" : "off", cd.data_checksums ? "on" : "off");
    }
    if (!why_not_possible.empty())
        fail(ExitCode::RejoinFail, "this node needs pg_rewind but cannot be rewound",
             why_not_possible, "clone it again with \"repmgr standby clone -F\"");
    if (rewind.needed && !ctx.opts.force_rewind)
        fail(ExitCode::RejoinFail,
             fmt::format("this node's history has diverged from {}'s", who), rewind.reason,
             "add --force-rewind to rewind it with pg_rewind (changes made on this node after "
             "the divergence are discarded)");
    if (ctx.opts.dry_run) {
        ctx.log.notice("[dry run] would write standby settings to \"{}\", start the server and "
                       "wait until it streams from {}",
                       data_directory, who);
        return 0;
    }

    auto my_record = repo.by_id(ctx.config.node_id);
    Connection upstream_conn = Connection::open(upstream.conninfo);
    try {
        if (run_rewind) {
            // pg_rewind reads the source's control file: right after a promotion it
            // still names the old timeline until a checkpoint (DESIGN.md section 7).
            run_checkpoint(upstream_conn);
            rewind_data_directory(ctx.config, ctx.log, data_directory, upstream.conninfo);
        }
        StandbySettings settings =
            standby_settings_for(ctx, upstream, prepare_slot(ctx, upstream_conn, my_record));
        write_standby_settings(data_directory, settings);
        ctx.log.notice("starting node {} as a standby of {}", ctx.config.node_id, who);
        control.start();
        if (!wait_streaming_to(upstream_conn, ctx.config.node_name,
                               ctx.config.standby_reconnect_timeout))
            fail(ExitCode::RejoinFail,
                 fmt::format("node {} started but does not stream from {} after {} seconds",
                             ctx.config.node_id, who, ctx.config.standby_reconnect_timeout),
                 {},
                 "check this node's server log; if it reports a timeline that is not a child "
                 "of its history, stop it and run node rejoin again with --force-rewind");

        Transaction tx(primary->conn);
        NodeRecord me = my_record.value_or(
            node_record_from_config(ctx.config, NodeType::Standby, upstream.id));
        me.type = NodeType::Standby;
        me.upstream_node_id = upstream.id;
        me.active = true;
        me.slot_name = settings.primary_slot_name ? settings.primary_slot_name : me.slot_name;
        repo.upsert(me);
        tx.commit();
    } catch (const Failure& f) {
        ctx.record(&primary->conn, "node_rejoin", false, f.what(), upstream.id);
        throw;
    }
    ctx.record(&primary->conn, "node_rejoin", true,
               fmt::format("node {} is now following {}{}", ctx.config.node_id, who,
                           run_rewind ? " (after pg_rewind)" : ""),
               upstream.id);
    ctx.log.notice("NODE REJOIN SUCCESSFUL: node {} is now streaming from {}",
                   ctx.config.node_id, who);
    return 0;
}

}  // namespace repmgr
