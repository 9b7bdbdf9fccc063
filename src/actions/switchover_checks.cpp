#include "actions/switchover_checks.hpp"

#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "actions/role_change.hpp"
#include "cluster/history.hpp"
#include "cluster/replication.hpp"
#include "config/conninfo.hpp"
#include "pg/control.hpp"
#include "util/process.hpp"

namespace repmgr {

RemotePrimary::RemotePrimary(Context& ctx, NodeRecord node, std::string data_directory)
    : ctx_(ctx),
      node_(std::move(node)),
      data_directory_(std::move(data_directory)),
      shell_(ssh_host_of(node_.conninfo), ctx.config.ssh_options, ctx.log,
             ctx.config.ssh_timeout) {}

// As repmgr 5: the old primary's own repmgr stops and starts it, so that its
// own service_stop_command / service_start_command (or its pg_ctl) is used,
// never this node's. -D is the directory the server reported: a seed-style
// repmgr.conf there has no data_directory for pg_ctl.
std::string RemotePrimary::stop_command() const {
    return shown_command(remote_repmgr_argv(
        ctx_.config, node_,
        {"-D", data_directory_, "node", "service", "--action=stop", "--checkpoint"}));
}

std::string RemotePrimary::start_command() const {
    return shown_command(remote_repmgr_argv(ctx_.config, node_,
                                            {"-D", data_directory_, "node", "service",
                                             "--action=start"}));
}

std::optional<ControlData> RemotePrimary::control_data() const {
    ProcessResult r = shell_.run({pg_binary_path(ctx_.config, "pg_controldata"), data_directory_});
    if (r.exit_status != 0) return std::nullopt;
    ControlData cd = parse_control_data(r.output);
    if (cd.state.empty()) return std::nullopt;
    return cd;
}

std::optional<ControlData> RemotePrimary::wait_shut_down(int timeout_s) const {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    for (;;) {
        auto cd = control_data();
        if (cd && cd->state == "shut down") return cd;
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
}

DaemonPause::DaemonPause(Context& ctx, Connection& primary, std::vector<std::string> conninfos)
    : ctx_(ctx), conninfos_(std::move(conninfos)) {
    if (!daemon_table_exists(primary)) return;
    paused_ = set_daemon_paused(primary, true);
    if (!paused_.empty())
        ctx_.log.info("repmgrd paused on {} node(s) during the switchover", paused_.size());
}

DaemonPause::~DaemonPause() {
    if (paused_.empty()) return;
    for (const auto& conninfo : conninfos_) {
        try {
            Connection conn = Connection::open(conninfo);
            if (conn.in_recovery()) continue;
            use_metadata_schema(conn, schema_name(ctx_.config));
            unpause_daemons(conn, paused_);
            return;
        } catch (const Failure& f) {
            ctx_.log.debug("unpausing repmgrd through \"{}\" failed: {}", conninfo, f.what());
        }
    }
    ctx_.log.warning("repmgrd is still paused on the nodes this switchover paused");
    ctx_.log.hint("run \"repmgr daemon unpause\" once a primary is running");
}

namespace {

void check_remote_tools(Context& ctx, const RemoteShell& shell, const NodeRecord& node) {
    shell.check_reachable();
    std::string binary = remote_repmgr_binary(ctx.config);
    ProcessResult r = shell.run({binary, "--version"});
    if (r.exit_status != 0)
        fail(ExitCode::SwitchoverFail,
             fmt::format("repmgr cannot be run on host \"{}\" as \"{}\"", shell.host(), binary),
             r.output, "install repmgr there, or set repmgr_bindir in repmgr.conf");
    std::string conf = remote_config_path(ctx.config, node);
    if (conf.empty() || shell.run({"test", "-r", conf}).exit_status != 0)
        fail(ExitCode::BadConfig,
             fmt::format("the repmgr.conf of node {} (\"{}\") is not readable on host \"{}\" at "
                         "\"{}\"",
                         node.id, node.name, shell.host(), conf),
             {},
             "set remote_config_file in repmgr.conf to the path of the other nodes' "
             "repmgr.conf (%n = node id, %a = node name)");
}

SwitchoverNode summary(const NodeRecord& n) { return {n.id, n.name}; }

}  // namespace

SwitchoverChecked check_switchover(Context& ctx) {
    require_node_identity(ctx.config);
    const std::string schema = schema_name(ctx.config);
    SwitchoverChecked c(connect_running_local(ctx, "run switchover on a running standby"));
    if (!c.local.in_recovery()) {
        auto recorded = NodeRepository(c.local).active_primary();
        if (recorded && recorded->id == ctx.config.node_id) {
            c.nothing_to_do = true;
            return c;
        }
        fail(ExitCode::SwitchoverFail, "this node is not a standby", {},
             "run switchover on the standby that should become the primary");
    }

    c.primary = find_primary(c.local, schema);
    if (!c.primary)
        fail(ExitCode::SwitchoverFail, "no running primary found", {},
             "a switchover needs a running primary; after a failure use \"repmgr standby "
             "promote\"");
    Connection& primary_conn = c.primary->conn;
    NodeRepository repo(primary_conn);
    auto me = repo.by_id(ctx.config.node_id);
    if (!me)
        fail(ExitCode::BadConfig, fmt::format("node {} is not registered", ctx.config.node_id), {},
             "run \"repmgr standby register\" first");
    const NodeRecord old = c.primary->node;
    if (me->upstream_node_id != old.id)
        fail(ExitCode::SwitchoverFail,
             fmt::format("this standby is not attached to the primary node {} (its upstream is "
                         "node {})",
                         old.id, me->upstream_node_id.value_or(0)),
             {}, "run \"repmgr standby follow\" first, or switch over from a direct standby");

    c.remote.emplace(ctx, old, server_data_directory(primary_conn));
    check_remote_tools(ctx, c.remote->shell(), old);

    if (!is_streaming_to(primary_conn, ctx.config.node_name))
        fail(ExitCode::SwitchoverFail,
             fmt::format("this standby is not streaming from the primary node {}", old.id),
             "no walsender with application_name \"" + ctx.config.node_name + "\" on the primary",
             "check primary_conninfo and the server log of this node");
    // --always-promote (repmgr 5): the operator accepts losing what this
    // standby has not replayed; the refusals below become warnings.
    const bool always = ctx.opts.always_promote;
    ReplayState rs = replay_state(c.local);
    if (rs.paused && !always)
        fail(ExitCode::SwitchoverFail, "WAL replay is paused on this standby",
             fmt::format("replayed up to {}", format_lsn(rs.replay)),
             "resume it with \"SELECT pg_wal_replay_resume()\", then retry (or use "
             "--always-promote to promote it as it is)");
    if (rs.paused)
        ctx.log.warning("WAL replay is paused on this standby at {}; --always-promote given",
                        format_lsn(rs.replay));
    Lsn primary_lsn = current_flush_lsn(primary_conn);
    if (!(rs.paused || wait_replayed_to(c.local, primary_lsn, ctx.config.standby_catchup_timeout))) {
        std::string detail = fmt::format("primary at {}, this node replayed {} after {} seconds",
                                         format_lsn(primary_lsn),
                                         format_lsn(replay_state(c.local).replay),
                                         ctx.config.standby_catchup_timeout);
        if (!always)
            fail(ExitCode::SwitchoverFail, "this standby lags behind the primary", detail,
                 "retry when replication has caught up (or raise standby_catchup_timeout, or use "
                 "--always-promote to accept losing what it lacks)");
        ctx.log.warning("this standby lags behind the primary; --always-promote given");
        ctx.log.detail(detail);
    }

    c.siblings = standbys_of(repo, old.id, ctx.config.node_id);
    if (ctx.opts.siblings_follow)
        for (const auto& s : c.siblings)
            check_remote_tools(
                ctx, RemoteShell(ssh_host_of(s.conninfo), ctx.config.ssh_options, ctx.log,
                                 ctx.config.ssh_timeout),
                s);
    c.data_directory = local_data_directory(ctx, &c.local);
    // No password on the remote command line (ps on either host shows it):
    // the old primary's repmgr takes it from its own conninfo (or .pgpass).
    c.rejoin_argv = remote_repmgr_argv(ctx.config, old,
                                       {"node", "rejoin", "-d",
                                        split_password(ctx.config.conninfo).conninfo,
                                        "--force-rewind"});

    SwitchoverFacts& f = c.facts;
    f.self = {ctx.config.node_id, ctx.config.node_name};
    f.old_primary = summary(old);
    f.old_host = c.remote->shell().host();
    f.stop_command = c.remote->stop_command();
    f.rejoin_command = shown_command(c.rejoin_argv);
    f.catchup_timeout = ctx.config.standby_catchup_timeout;
    const bool daemon_table = daemon_table_exists(primary_conn);
    f.pause_daemons = daemon_table && !ctx.opts.repmgrd_no_pause;
    f.force_unpause = daemon_table && ctx.opts.repmgrd_force_unpause;
    f.always_promote = always;
    f.siblings_follow = ctx.opts.siblings_follow;
    for (const auto& s : c.siblings) f.siblings.push_back(summary(s));
    return c;
}

}  // namespace repmgr
