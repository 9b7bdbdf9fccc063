// repmgr node rejoin: bring a stopped former primary (or standby) back into
// the cluster as a standby, rewinding it with pg_rewind when its history
// diverged from the primary's. Check -> plan -> execute, as standby follow.
#include <fmt/format.h>

#include "actions/actions.hpp"
#include "actions/registration.hpp"
#include "actions/role_change.hpp"
#include "actions/role_failure.hpp"
#include "actions/role_plan.hpp"
#include "actions/role_requests.hpp"
#include "cluster/slots.hpp"
#include "cluster/nodes.hpp"
#include "cluster/replication.hpp"
#include "cluster/topology.hpp"
#include "config/conninfo.hpp"
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

enum class RejoinStep {
    Checkpoint,
    Rewind,
    CreateSlot,
    WriteSettings,
    Start,
    WaitStreaming,
    UpdateMetadata,
};

// What the checks established; execute works from this alone.
struct RejoinChecked {
    RejoinChecked(std::string dd, PrimaryConnection p, NodeRecord up, Connection up_conn,
                  std::string w)
        : data_directory(std::move(dd)),
          primary(std::move(p)),
          upstream(std::move(up)),
          upstream_conn(std::move(up_conn)),
          who(std::move(w)) {}
    std::string data_directory;
    PrimaryConnection primary;  // where the metadata is written
    NodeRecord upstream;        // what this node will stream from
    Connection upstream_conn;
    std::string who;            // node N ("name")
    std::optional<NodeRecord> my_record;
    bool run_rewind = false;
    StandbySettings settings;   // slot included
};

Connection open_entry(const std::string& conninfo) {
    try {
        return Connection::open(conninfo);
    } catch (const DbError& e) {
        fail(ExitCode::DbConnection, fmt::format("unable to connect to \"{}\"", conninfo),
             e.detail(), "-d must name a running node of the cluster");
    }
}

RejoinChecked check_rejoin(Context& ctx, const RejoinRequest& request, RejoinOutcome& out) {
    require_node_identity(ctx.config);
    const std::string schema = schema_name(ctx.config);
    if (request.upstream_conninfo.empty())
        fail(ExitCode::BadConfig, "node rejoin needs the connection string of a running node",
             {}, "give it with -d, e.g. -d 'host=node1 user=repmgr dbname=repmgr'");
    std::string data_directory = local_data_directory(ctx, request.data_directory, nullptr);
    if (ServerControl(ctx.config, ctx.log, data_directory).is_running())
        fail(ExitCode::RejoinFail,
             fmt::format("PostgreSQL is running in \"{}\"", data_directory), {},
             "node rejoin brings back a stopped node: stop it first (or use \"repmgr standby "
             "follow\" for a running standby)");

    Connection entry = open_entry(request.upstream_conninfo);
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
    if (request.upstream_node_id) {
        auto chosen = repo.by_id(*request.upstream_node_id);
        if (!chosen || *request.upstream_node_id == ctx.config.node_id)
            fail(ExitCode::BadConfig,
                 fmt::format("node {} cannot be this node's upstream", *request.upstream_node_id),
                 {}, "check the id with \"repmgr cluster show\"");
        upstream = *chosen;
    }
    out.upstream_node_id = upstream.id;
    std::string who = fmt::format("node {} (\"{}\")", upstream.id, upstream.name);

    ControlData cd = read_control_data(ctx.config, data_directory);
    RewindAssessment rewind = assess(cd, upstream.conninfo);
    bool run_rewind = rewind.needed || (!rewind.certain && request.force_rewind);
    std::string why_not_possible;
    if (run_rewind && !cd.rewindable())
        why_not_possible = "neither wal_log_hints nor data checksums are enabled on this node";
    ctx.log.info("rewind assessment: {}", rewind.reason);

    // What the checks found, shown before any refusal so that a dry run
    // answers "does it need a rewind, and can it have one?".
    if (request.dry_run) {
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
    if (rewind.needed && !request.force_rewind)
        fail(ExitCode::RejoinFail,
             fmt::format("this node's history has diverged from {}'s", who), rewind.reason,
             "add --force-rewind to rewind it with pg_rewind (changes made on this node after "
             "the divergence are discarded)");

    RejoinChecked c{std::move(data_directory), std::move(*primary), upstream,
                    Connection::open(upstream.conninfo), std::move(who)};
    c.my_record = NodeRepository(c.primary.conn).by_id(ctx.config.node_id);
    c.run_rewind = run_rewind;
    c.settings = standby_settings_for(ctx, upstream, planned_slot_name(ctx, c.my_record));
    return c;
}

RolePlan<RejoinStep> plan_rejoin(const Context& ctx, const RejoinChecked& c) {
    RolePlan<RejoinStep> plan;
    const auto& s = c.settings;
    if (c.run_rewind) {
        // pg_rewind reads the source's control file: right after a promotion it
        // still names the old timeline until a checkpoint, and pg_rewind then
        // says "no rewind required" and does nothing.
        plan.add(RejoinStep::Checkpoint,
                 fmt::format("run CHECKPOINT on {} so that pg_rewind sees its current timeline",
                             c.who));
        plan.add(RejoinStep::Rewind,
                 fmt::format("rewind \"{}\" from {} with pg_rewind (changes made on this node "
                             "after the divergence are discarded; this node's own configuration "
                             "files are kept)",
                             c.data_directory, c.who));
    }
    if (s.primary_slot_name)
        plan.add(RejoinStep::CreateSlot,
                 fmt::format("create replication slot \"{}\" on {} unless it exists",
                             *s.primary_slot_name, c.who));
    plan.add(RejoinStep::WriteSettings,
             fmt::format("write the standby settings (primary_conninfo = '{}'{}) to \"{}\"",
                         s.primary_conninfo,
                         s.primary_slot_name
                             ? fmt::format(", primary_slot_name = '{}'", *s.primary_slot_name)
                             : std::string{},
                         c.data_directory));
    plan.add(RejoinStep::Start,
             fmt::format("start node {} as a standby of {}", ctx.config.node_id, c.who));
    plan.add(RejoinStep::WaitStreaming,
             fmt::format("wait up to {} seconds until it streams from {}",
                         ctx.config.standby_reconnect_timeout, c.who));
    plan.add(RejoinStep::UpdateMetadata,
             fmt::format("record node {} as an active standby of {} in the metadata and the "
                         "node_rejoin event",
                         ctx.config.node_id, c.who));
    return plan;
}

void execute_rejoin(Context& ctx, RejoinChecked& c, const RolePlan<RejoinStep>& plan,
                    RejoinOutcome& out) {
    ServerControl control(ctx.config, ctx.log, c.data_directory);
    plan.execute(ctx.log, [&](const auto& step) {
        switch (step.kind) {
        case RejoinStep::Checkpoint:
            run_checkpoint(c.upstream_conn);
            break;
        case RejoinStep::Rewind:
            rewind_data_directory(ctx.config, ctx.log, c.data_directory, c.upstream.conninfo);
            out.rewound = true;
            break;
        case RejoinStep::CreateSlot:
            create_slot_if_missing(c.upstream_conn, *c.settings.primary_slot_name);
            break;
        case RejoinStep::WriteSettings:
            write_standby_settings(c.data_directory, c.settings);
            break;
        case RejoinStep::Start:
            control.start();
            break;
        case RejoinStep::WaitStreaming:
            if (!wait_streaming_to(c.upstream_conn, ctx.config.node_name,
                                   ctx.config.standby_reconnect_timeout))
                fail(ExitCode::RejoinFail,
                     fmt::format("node {} started but does not stream from {} after {} seconds",
                                 ctx.config.node_id, c.who, ctx.config.standby_reconnect_timeout),
                     {},
                     "check this node's server log; if it reports a timeline that is not a "
                     "child of its history, stop it and run node rejoin again with "
                     "--force-rewind");
            break;
        case RejoinStep::UpdateMetadata: {
            NodeRepository repo(c.primary.conn);
            Transaction tx(c.primary.conn);
            NodeRecord me = c.my_record.value_or(
                node_record_from_config(ctx.config, NodeType::Standby, c.upstream.id));
            me.type = NodeType::Standby;
            me.upstream_node_id = c.upstream.id;
            me.active = true;
            if (c.settings.primary_slot_name) me.slot_name = c.settings.primary_slot_name;
            repo.upsert(me);
            tx.commit();
            ctx.record(&c.primary.conn, "node_rejoin", true,
                       fmt::format("node {} is now following {}{}", ctx.config.node_id, c.who,
                                   c.run_rewind ? " (after pg_rewind)" : ""),
                       c.upstream.id);
            break;
        }
        }
    });
}

}  // namespace

RejoinOutcome rejoin_node(Context& ctx, const RejoinRequest& request) {
    RejoinOutcome out;
    out.upstream_node_id = request.upstream_node_id.value_or(0);
    try {
        RejoinChecked c = check_rejoin(ctx, request, out);
        RolePlan<RejoinStep> plan = plan_rejoin(ctx, c);
        if (request.dry_run) {
            out.rewound = c.run_rewind;
            plan.print_dry_run(ctx.log, "node rejoin");
            out.status = RejoinStatus::Planned;
            out.message = fmt::format("dry run: node {} can rejoin as a standby of {}",
                                      ctx.config.node_id, c.who);
            return out;
        }
        try {
            execute_rejoin(ctx, c, plan, out);
        } catch (const Failure& f) {
            ctx.record(&c.primary.conn, "node_rejoin", false, f.what(), c.upstream.id);
            throw;
        }
        out.status = RejoinStatus::Rejoined;
        out.message = fmt::format("NODE REJOIN SUCCESSFUL: node {} is now streaming from {}",
                                  ctx.config.node_id, c.who);
        ctx.log.notice("{}", out.message);
    } catch (const Failure& f) {
        fill_failure(out, f, RejoinStatus::Failed);
    }
    return out;
}

int run_node_rejoin(Context& ctx) {
    RejoinRequest request;
    // A switchover runs this over ssh with -d free of passwords (argv is
    // public): the password, if any, comes from this node's own conninfo.
    request.upstream_conninfo =
        with_own_password(ctx.upstream_conninfo().value_or(""), ctx.config.conninfo);
    request.data_directory = ctx.opts.pgdata;
    request.upstream_node_id = ctx.opts.upstream_node_id;
    request.force_rewind = ctx.opts.force_rewind;
    request.dry_run = ctx.opts.dry_run;
    return exit_with(rejoin_node(ctx, request));
}

}  // namespace repmgr
