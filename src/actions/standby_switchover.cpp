// repmgr standby switchover: run on the standby to promote. Stops the primary
// cleanly over ssh, waits until this node has replayed its shutdown
// checkpoint (so nothing committed is lost), promotes this node, and rejoins
// the old primary as a standby of it.
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "actions/actions.hpp"
#include "actions/role_change.hpp"
#include "cluster/history.hpp"
#include "cluster/nodes.hpp"
#include "cluster/replication.hpp"
#include "cluster/topology.hpp"
#include "pg/control.hpp"
#include "pg/rewind.hpp"
#include "pg/ssh.hpp"
#include "util/text.hpp"

namespace repmgr {
namespace {

// A command line for the remote shell and for humans: words quoted only when
// the shell would otherwise read them differently.
std::string shown(const std::vector<std::string>& argv) {
    std::string out;
    for (const auto& a : argv) {
        bool plain = !a.empty() && a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
                                                       "qrstuvwxyz0123456789_/.,:=+@%-") ==
                                       std::string::npos;
        out += (out.empty() ? "" : " ") + (plain ? a : shell_quote(a));
    }
    return out;
}

// Pauses every repmgrd for the length of the switchover, so that none of them
// takes the stopped primary for a failure; on the way out (success or not)
// unpauses the ones it paused, through whichever node is writable then.
class DaemonPause {
public:
    DaemonPause(Context& ctx, Connection& primary, std::vector<std::string> conninfos)
        : ctx_(ctx), conninfos_(std::move(conninfos)) {
        if (!daemon_table_exists(primary)) return;
        paused_ = set_daemon_paused(primary, true);
        if (!paused_.empty())
            ctx_.log.info("repmgrd paused on {} node(s) during the switchover", paused_.size());
    }
    ~DaemonPause() {
        if (paused_.empty()) return;
        for (const auto& conninfo : conninfos_) {
            try {
                Connection conn = Connection::open(conninfo);
                if (conn.in_recovery()) continue;
                use_metadata_schema(conn, schema_name(ctx_.config));
                unpause_daemons(conn, paused_);
                return;
            } catch (const Failure&) {
            }
        }
        ctx_.log.warning("repmgrd is still paused on the nodes this switchover paused");
        ctx_.log.hint("run \"repmgr daemon unpause\" once a primary is running");
    }
    DaemonPause(const DaemonPause&) = delete;
    DaemonPause& operator=(const DaemonPause&) = delete;

private:
    Context& ctx_;
    std::vector<std::string> conninfos_;
    std::vector<int> paused_;
};

// The old primary, as seen over ssh on its host.
class RemotePrimary {
public:
    RemotePrimary(Context& ctx, NodeRecord node, std::string data_directory)
        : ctx_(ctx),
          node_(std::move(node)),
          data_directory_(std::move(data_directory)),
          shell_(ssh_host_of(node_.conninfo), ctx.config.ssh_options, ctx.log) {}

    const NodeRecord& node() const { return node_; }
    const RemoteShell& shell() const { return shell_; }

    std::string stop_command() const {
        if (!ctx_.config.service_stop_command.empty()) return ctx_.config.service_stop_command;
        return shown({pg_binary_path(ctx_.config, "pg_ctl"), "-D", data_directory_, "-m", "fast",
                      "-w", "-t", std::to_string(ctx_.config.shutdown_check_timeout), "stop"});
    }
    std::string start_command() const {
        if (!ctx_.config.service_start_command.empty()) return ctx_.config.service_start_command;
        std::string log_dir = data_directory_ + "/log";
        return "mkdir -p " + shell_quote(log_dir) + " && " +
               shown({pg_binary_path(ctx_.config, "pg_ctl"), "-D", data_directory_, "-w", "-l",
                      log_dir + "/startup.log", "start"});
    }
    ProcessResult stop() const { return shell_.run_command_line(stop_command()); }
    ProcessResult start() const { return shell_.run_command_line(start_command()); }

    std::optional<ControlData> control_data() const {
        ProcessResult r = shell_.run({pg_binary_path(ctx_.config, "pg_controldata"), data_directory_});
        if (r.exit_status != 0) return std::nullopt;
        ControlData cd = parse_control_data(r.output);
        if (cd.state.empty()) return std::nullopt;
        return cd;
    }
    // Polls pg_controldata until the server has shut down (a service command
    // may return before the postmaster is gone).
    std::optional<ControlData> wait_shut_down(int timeout_s) const {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
        for (;;) {
            auto cd = control_data();
            if (cd && cd->state == "shut down") return cd;
            if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
            std::this_thread::sleep_for(std::chrono::milliseconds(250));
        }
    }

private:
    Context& ctx_;
    NodeRecord node_;
    std::string data_directory_;
    RemoteShell shell_;
};

void check_remote_tools(Context& ctx, const RemoteShell& shell, const NodeRecord& node) {
    shell.check_reachable();
    std::string binary = remote_repmgr_binary(ctx.config);
    ProcessResult r = shell.run({binary, "--version"});
    if (r.exit_status != 0)
        fail(ExitCode::SwitchoverFail,
             fmt::format("repmgr cannot be run on host \"{}\" as \"{}\"", shell.host(), binary),
             r.output, "install repmgr there, or set repmgr_bindir in repmgr.conf");
    std::string conf = remote_config_path(ctx.config, node.id, node.name);
    if (conf.empty() || shell.run({"test", "-r", conf}).exit_status != 0)
        fail(ExitCode::BadConfig,
             fmt::format("the repmgr.conf of node {} (\"{}\") is not readable on host \"{}\" at "
                         "\"{}\"",
                         node.id, node.name, shell.host(), conf),
             {},
             "set remote_config_file in repmgr.conf to the path of the other nodes' "
             "repmgr.conf (%n = node id, %a = node name)");
}

}  // namespace

int run_standby_switchover(Context& ctx) {
    require_node_identity(ctx.config);
    const std::string schema = schema_name(ctx.config);
    Connection local = connect_running_local(
        ctx, "run switchover on a running standby");
    if (!local.in_recovery()) {
        auto recorded = NodeRepository(local).active_primary();
        if (recorded && recorded->id == ctx.config.node_id) {
            ctx.log.notice("node {} is already the primary; nothing to do", ctx.config.node_id);
            return 0;
        }
        fail(ExitCode::SwitchoverFail, "this node is not a standby", {},
             "run switchover on the standby that should become the primary");
    }

    // ---- checks: nothing is changed until all of them pass -------------------
    auto primary = find_primary(local, schema);
    if (!primary)
        fail(ExitCode::SwitchoverFail, "no running primary found", {},
             "a switchover needs a running primary; after a failure use \"repmgr standby "
             "promote\"");
    NodeRepository repo(primary->conn);
    auto me = repo.by_id(ctx.config.node_id);
    if (!me)
        fail(ExitCode::BadConfig, fmt::format("node {} is not registered", ctx.config.node_id), {},
             "run \"repmgr standby register\" first");
    const NodeRecord old = primary->node;
    if (me->upstream_node_id != old.id)
        fail(ExitCode::SwitchoverFail,
             fmt::format("this standby is not attached to the primary node {} (its upstream is "
                         "node {})",
                         old.id, me->upstream_node_id.value_or(0)),
             {}, "run \"repmgr standby follow\" first, or switch over from a direct standby");

    std::string old_data_directory = server_data_directory(primary->conn);
    RemotePrimary remote(ctx, old, old_data_directory);
    check_remote_tools(ctx, remote.shell(), old);

    if (!is_streaming_to(primary->conn, ctx.config.node_name))
        fail(ExitCode::SwitchoverFail,
             fmt::format("this standby is not streaming from the primary node {}", old.id),
             "no walsender with application_name \"" + ctx.config.node_name + "\" on the primary",
             "check primary_conninfo and the server log of this node");
    ReplayState rs = replay_state(local);
    if (rs.paused)
        fail(ExitCode::SwitchoverFail, "WAL replay is paused on this standby",
             fmt::format("replayed up to {}", format_lsn(rs.replay)),
             "resume it with \"SELECT pg_wal_replay_resume()\", then retry");
    Lsn primary_lsn = current_flush_lsn(primary->conn);
    if (!wait_replayed_to(local, primary_lsn, ctx.config.standby_catchup_timeout))
        fail(ExitCode::SwitchoverFail, "this standby lags behind the primary",
             fmt::format("primary at {}, this node replayed {} after {} seconds",
                         format_lsn(primary_lsn), format_lsn(replay_state(local).replay),
                         ctx.config.standby_catchup_timeout),
             "retry when replication has caught up (or raise standby_catchup_timeout)");

    std::vector<NodeRecord> siblings = standbys_of(repo, old.id, ctx.config.node_id);
    if (ctx.opts.siblings_follow)
        for (const auto& s : siblings)
            check_remote_tools(ctx, RemoteShell(ssh_host_of(s.conninfo), ctx.config.ssh_options,
                                                ctx.log),
                               s);
    std::string data_directory = local_data_directory(ctx, &local);

    if (ctx.opts.dry_run) {
        ctx.log.notice("[dry run] all checks passed; the switchover would:");
        ctx.log.notice("[dry run] 1. stop the primary node {} on \"{}\": {}", old.id,
                       remote.shell().host(), remote.stop_command());
        ctx.log.notice("[dry run] 2. wait until this node has replayed its shutdown checkpoint");
        ctx.log.notice("[dry run] 3. promote this node {} (\"{}\")", ctx.config.node_id,
                       ctx.config.node_name);
        ctx.log.notice("[dry run] 4. run on \"{}\": {}", remote.shell().host(),
                       shown(remote_repmgr_argv(ctx.config, old.id, old.name,
                                                {"node", "rejoin", "-d", ctx.config.conninfo,
                                                 "--force-rewind"})));
        for (const auto& s : siblings)
            ctx.log.notice("[dry run] 5. {} node {} (\"{}\")",
                           ctx.opts.siblings_follow ? "make follow this node:"
                                                    : "leave following the old primary:",
                           s.id, s.name);
        return 0;
    }
    DaemonPause pause(ctx, primary->conn, {ctx.config.conninfo, old.conninfo});

    // ---- 1. stop the old primary ----------------------------------------------
    ctx.log.notice("stopping the primary node {} (\"{}\") on host \"{}\"", old.id, old.name,
                   remote.shell().host());
    try {
        run_checkpoint(primary->conn);  // makes the shutdown checkpoint quick
    } catch (const DbError& e) {
        ctx.log.warning("CHECKPOINT on the primary failed: {}", e.detail());
    }
    primary->conn = Connection(nullptr);  // our session must not delay a smart shutdown
    ProcessResult stopped = remote.stop();
    std::optional<ControlData> shutdown;
    if (stopped.exit_status == 0) {
        shutdown = remote.wait_shut_down(ctx.config.shutdown_check_timeout);
    } else if (auto cd = remote.control_data(); cd && cd->state == "shut down") {
        shutdown = cd;  // the command complained, but the server is down cleanly
    }
    if (!shutdown) {
        ctx.record(nullptr, "standby_switchover", false, "the primary could not be stopped", old.id);
        fail(ExitCode::SwitchoverFail,
             fmt::format("the primary node {} did not shut down cleanly within {} seconds", old.id,
                         ctx.config.shutdown_check_timeout),
             trim_trailing(stopped.output),
             fmt::format("nothing was changed on this node; check node {}'s server log. If it is "
                         "down, start it again with: ssh {} {}",
                         old.id, remote.shell().host(), remote.start_command()));
    }
    Lsn shutdown_lsn = parse_lsn(shutdown->checkpoint_lsn).value_or(0);
    ctx.log.info("primary stopped; its shutdown checkpoint is at {}", format_lsn(shutdown_lsn));

    // ---- 2. this node must have everything the primary wrote ------------------
    if (!wait_replayed_past(local, shutdown_lsn, ctx.config.standby_catchup_timeout)) {
        ProcessResult restarted = remote.start();
        std::string state = restarted.exit_status == 0
                                ? fmt::format("node {} was started again as the primary; nothing "
                                              "changed",
                                              old.id)
                                : fmt::format("NO PRIMARY IS RUNNING: starting node {} again "
                                              "failed: {}",
                                              old.id, trim_trailing(restarted.output));
        fail(ExitCode::SwitchoverFail,
             fmt::format("this node did not replay the primary's shutdown checkpoint ({}) within "
                         "{} seconds",
                         format_lsn(shutdown_lsn), ctx.config.standby_catchup_timeout),
             state,
             restarted.exit_status == 0
                 ? "check replication on this node and retry"
                 : fmt::format("start the old primary with: ssh {} {}", remote.shell().host(),
                               remote.start_command()));
    }

    // ---- 3. promote ------------------------------------------------------------
    try {
        promote_local_server(ctx, local, data_directory);
    } catch (const Failure& f) {
        fail(ExitCode::SwitchoverFail,
             fmt::format("promotion of this node failed: {}; NO PRIMARY IS RUNNING", f.what()),
             f.detail(),
             fmt::format("either retry \"repmgr standby promote\" on this node, or start the old "
                         "primary again with: ssh {} {}",
                         remote.shell().host(), remote.start_command()));
    }
    record_promotion(ctx, local, old.id);
    ctx.record(&local, "standby_promote", true,
               fmt::format("node {} promoted to primary during switchover", ctx.config.node_id),
               old.id);
    ctx.log.notice("node {} (\"{}\") is now the primary", ctx.config.node_id,
                   ctx.config.node_name);

    // ---- 4. the old primary becomes a standby of this node --------------------
    std::vector<std::string> rejoin = remote_repmgr_argv(
        ctx.config, old.id, old.name,
        {"node", "rejoin", "-d", ctx.config.conninfo, "--force-rewind"});
    ctx.log.notice("rejoining node {} (\"{}\") as a standby", old.id, old.name);
    ProcessResult rejoined = remote.shell().run(rejoin);
    ctx.log.info("node rejoin on \"{}\": {}", remote.shell().host(), trim_trailing(rejoined.output));
    if (rejoined.exit_status != 0 || !is_streaming_to(local, old.name)) {
        std::string msg = fmt::format("node {} is the new primary, but the old primary node {} "
                                      "did not rejoin as its standby",
                                      ctx.config.node_id, old.id);
        ctx.record(&local, "standby_switchover", false, msg, old.id);
        fail(ExitCode::SwitchoverIncomplete, msg, trim_trailing(rejoined.output),
             fmt::format("run on host \"{}\": {}", remote.shell().host(), shown(rejoin)));
    }

    // ---- 5. siblings -------------------------------------------------------------
    std::vector<std::string> failed;
    if (ctx.opts.siblings_follow && !siblings.empty()) {
        auto me_now = NodeRepository(local).by_id(ctx.config.node_id);
        failed = follow_siblings(ctx, siblings, *me_now);
    } else if (!siblings.empty()) {
        ctx.log.warning("{} other standby(s) still point at node {}, now a standby of this node",
                        siblings.size(), old.id);
        ctx.log.hint("run \"repmgr standby follow\" on them, or use --siblings-follow");
    }

    std::string details = fmt::format("node {} promoted to primary, node {} demoted to standby",
                                      ctx.config.node_id, old.id);
    if (!failed.empty()) {
        ctx.record(&local, "standby_switchover", false, details + "; some siblings did not follow",
                   old.id);
        fail(ExitCode::SwitchoverIncomplete,
             fmt::format("switchover done, but {} sibling standby(s) did not follow", failed.size()),
             "see the warnings above", "run \"repmgr standby follow\" on those nodes");
    }
    ctx.record(&local, "standby_switchover", true, details, old.id);
    ctx.log.notice("STANDBY SWITCHOVER SUCCESSFUL: node {} (\"{}\") is the primary, node {} "
                   "(\"{}\") is a standby",
                   ctx.config.node_id, ctx.config.node_name, old.id, old.name);
    return 0;
}

}  // namespace repmgr
