// repmgr standby switchover: run on the standby to promote. Stops the primary
// cleanly over ssh, waits until this node has replayed its shutdown
// checkpoint (so nothing committed is lost), promotes this node, and rejoins
// the old primary as a standby of it.
//
// Check -> plan -> execute: switchover_checks.cpp gathers and refuses,
// switchover_plan.cpp lists the steps (what --dry-run prints), and this file
// runs them in that order.
#include <fmt/format.h>

#include "actions/actions.hpp"
#include "actions/role_change.hpp"
#include "actions/switchover_checks.hpp"
#include "cluster/history.hpp"
#include "cluster/replication.hpp"
#include "util/process.hpp"
#include "util/text.hpp"

namespace repmgr {
namespace {

class SwitchoverRun {
public:
    SwitchoverRun(Context& ctx, SwitchoverChecked& c)
        : ctx_(ctx), c_(c), remote_(*c.remote), old_(c.remote->node()) {}

    void run(const RolePlan<SwitchoverStep>& plan) {
        plan.execute(ctx_.log, [&](const auto& step) { run_step(step.kind); });
        ctx_.log.notice("STANDBY SWITCHOVER SUCCESSFUL: node {} (\"{}\") is the primary, node {} "
                        "(\"{}\") is a standby",
                        ctx_.config.node_id, ctx_.config.node_name, old_.id, old_.name);
    }

private:
    void run_step(SwitchoverStep kind) {
        switch (kind) {
        case SwitchoverStep::PauseDaemons:
            pause_.emplace(ctx_, c_.primary->conn,
                           std::vector<std::string>{ctx_.config.conninfo, old_.conninfo});
            break;
        case SwitchoverStep::StopPrimary: stop_primary(); break;
        case SwitchoverStep::WaitShutdownReplayed: wait_shutdown_replayed(); break;
        case SwitchoverStep::Promote: promote(); break;
        case SwitchoverStep::RejoinOldPrimary: rejoin_old_primary(); break;
        case SwitchoverStep::FollowSiblings: {
            auto me_now = NodeRepository(c_.local).by_id(ctx_.config.node_id);
            siblings_failed_ = follow_siblings(ctx_, c_.siblings, *me_now);
            break;
        }
        case SwitchoverStep::LeaveSiblings:
            ctx_.log.warning("{} other standby(s) still point at node {}, now a standby of this "
                             "node",
                             c_.siblings.size(), old_.id);
            ctx_.log.hint("run \"repmgr standby follow\" on them, or use --siblings-follow");
            break;
        case SwitchoverStep::RecordSwitchover: record_switchover(); break;
        case SwitchoverStep::UnpauseAllDaemons: {
            std::vector<int> ids = set_daemon_paused(c_.local, false);
            ctx_.log.notice("repmgrd unpaused on {} node(s) (--repmgrd-force-unpause)", ids.size());
            break;
        }
        }
    }

    void stop_primary() {
        try {
            run_checkpoint(c_.primary->conn);  // makes the shutdown checkpoint quick
        } catch (const DbError& e) {
            ctx_.log.warning("CHECKPOINT on the primary failed: {}", e.detail());
        }
        c_.primary->conn = Connection(nullptr);  // our session must not delay a smart shutdown
        ProcessResult stopped = remote_.stop();
        if (stopped.exit_status == 0) {
            shutdown_ = remote_.wait_shut_down(ctx_.config.shutdown_check_timeout);
        } else if (auto cd = remote_.control_data(); cd && cd->state == "shut down") {
            shutdown_ = cd;  // the command complained, but the server is down cleanly
        }
        if (shutdown_) {
            ctx_.log.info("primary stopped; its shutdown checkpoint is at {}",
                          format_lsn(shutdown_lsn()));
            return;
        }
        ctx_.record(nullptr, "standby_switchover", false, "the primary could not be stopped",
                    old_.id);
        fail(ExitCode::SwitchoverFail,
             fmt::format("the primary node {} did not shut down cleanly within {} seconds", old_.id,
                         ctx_.config.shutdown_check_timeout),
             trim_trailing(stopped.output),
             fmt::format("nothing was changed on this node; check node {}'s server log. If it is "
                         "down, start it again with: ssh {} {}",
                         old_.id, remote_.shell().host(), remote_.start_command()));
    }

    Lsn shutdown_lsn() const { return parse_lsn(shutdown_->checkpoint_lsn).value_or(0); }

    // This node must have everything the primary wrote.
    void wait_shutdown_replayed() {
        const bool paused = replay_state(c_.local).paused;  // only with --always-promote
        if (!paused &&
            wait_replayed_past(c_.local, shutdown_lsn(), ctx_.config.standby_catchup_timeout))
            return;
        if (c_.facts.always_promote) {
            ctx_.log.warning("this node has not replayed the primary's shutdown checkpoint ({}), "
                             "replayed {}: promoting all the same (--always-promote); what it "
                             "lacks is lost",
                             format_lsn(shutdown_lsn()), format_lsn(replay_state(c_.local).replay));
            return;
        }
        ProcessResult restarted = remote_.start();
        std::string state = restarted.exit_status == 0
                                ? fmt::format("node {} was started again as the primary; nothing "
                                              "changed",
                                              old_.id)
                                : fmt::format("NO PRIMARY IS RUNNING: starting node {} again "
                                              "failed: {}",
                                              old_.id, trim_trailing(restarted.output));
        fail(ExitCode::SwitchoverFail,
             fmt::format("this node did not replay the primary's shutdown checkpoint ({}) within "
                         "{} seconds",
                         format_lsn(shutdown_lsn()), ctx_.config.standby_catchup_timeout),
             state,
             restarted.exit_status == 0
                 ? "check replication on this node and retry"
                 : fmt::format("start the old primary with: ssh {} {}", remote_.shell().host(),
                               remote_.start_command()));
    }

    void promote() {
        try {
            promote_local_server(ctx_, c_.local, c_.data_directory);
        } catch (const Failure& f) {
            fail(ExitCode::SwitchoverFail,
                 fmt::format("promotion of this node failed: {}; NO PRIMARY IS RUNNING", f.what()),
                 f.detail(),
                 fmt::format("either retry \"repmgr standby promote\" on this node, or start the "
                             "old primary again with: ssh {} {}",
                             remote_.shell().host(), remote_.start_command()));
        }
        record_promotion(ctx_, c_.local, old_.id);
        ctx_.record(&c_.local, "standby_promote", true,
                    fmt::format("node {} promoted to primary during switchover",
                                ctx_.config.node_id),
                    old_.id);
        ctx_.log.notice("node {} (\"{}\") is now the primary", ctx_.config.node_id,
                        ctx_.config.node_name);
    }

    // The old primary becomes a standby of this node.
    void rejoin_old_primary() {
        ProcessResult rejoined = remote_.shell().run(c_.rejoin_argv);
        ctx_.log.info("node rejoin on \"{}\": {}", remote_.shell().host(),
                      trim_trailing(rejoined.output));
        if (rejoined.exit_status == 0 && is_streaming_to(c_.local, old_.name)) return;
        std::string msg = fmt::format("node {} is the new primary, but the old primary node {} "
                                      "did not rejoin as its standby",
                                      ctx_.config.node_id, old_.id);
        ctx_.record(&c_.local, "standby_switchover", false, msg, old_.id);
        fail(ExitCode::SwitchoverIncomplete, msg, trim_trailing(rejoined.output),
             fmt::format("run on host \"{}\": {}", remote_.shell().host(), shown_command(c_.rejoin_argv)));
    }

    void record_switchover() {
        std::string details = fmt::format("node {} promoted to primary, node {} demoted to standby",
                                          ctx_.config.node_id, old_.id);
        if (!siblings_failed_.empty()) {
            ctx_.record(&c_.local, "standby_switchover", false,
                        details + "; some siblings did not follow", old_.id);
            fail(ExitCode::SwitchoverIncomplete,
                 fmt::format("switchover done, but {} sibling standby(s) did not follow",
                             siblings_failed_.size()),
                 "see the warnings above", "run \"repmgr standby follow\" on those nodes");
        }
        ctx_.record(&c_.local, "standby_switchover", true, details, old_.id);
    }

    Context& ctx_;
    SwitchoverChecked& c_;
    const RemotePrimary& remote_;
    const NodeRecord& old_;
    std::optional<DaemonPause> pause_;  // unpauses on the way out, success or not
    std::optional<ControlData> shutdown_;
    std::vector<std::string> siblings_failed_;
};

}  // namespace

int run_standby_switchover(Context& ctx) {
    SwitchoverChecked c = check_switchover(ctx);
    if (c.nothing_to_do) {
        ctx.log.notice("node {} is already the primary; nothing to do", ctx.config.node_id);
        return 0;
    }
    RolePlan<SwitchoverStep> plan = plan_switchover(c.facts);
    if (ctx.opts.dry_run) {
        plan.print_dry_run(ctx.log, "the switchover");
        return 0;
    }
    SwitchoverRun(ctx, c).run(plan);
    return 0;
}

}  // namespace repmgr
