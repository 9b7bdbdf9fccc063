// Following the new primary after a failover (follow_command, or the
// built-in follow), and the way back for a standby that cannot: stop,
// rewind, rejoin. Rejoining is also how a fenced old primary comes back.
#include <fmt/format.h>

#include "actions/role_change.hpp"
#include "actions/role_requests.hpp"
#include "daemon/effects/effects.hpp"
#include "notify/placeholders.hpp"
#include "pg/control.hpp"
#include "util/process.hpp"

namespace repmgr::repmgrd {

ActionOutcome Effects::follow(const Snapshot& s, const FollowParams& p) {
    bool ok = false;
    std::string why;
    if (!ctx_.config.follow_command.empty()) {
        std::string cmd =
            expand_placeholders(ctx_.config.follow_command, {{'n', std::to_string(p.leader)}});
        ctx_.log.notice("running follow_command: {}", cmd);
        ProcessResult r = run_shell(cmd, true, ctx_.config.command_timeout);
        ok = r.exit_status == 0 && !r.timed_out;
        if (r.timed_out)
            why = fmt::format("follow_command was {} (command_timeout): run it by hand to see "
                              "where it hangs; {}", describe_exit(r), r.output);
        else if (!ok)
            why = fmt::format("follow_command exited with status {}: {}", r.exit_status, r.output);
    } else {
        // The manual "standby follow --upstream-node-id=<leader>", in-process.
        FollowRequest request;
        request.upstream_node_id = p.leader;
        FollowOutcome out;
        try {
            out = follow_upstream(ctx_, request);
        } catch (const Failure& f) {  // not one of the outcomes it classifies
            out.message = f.what();
            out.detail = f.detail();
        }
        ok = out.ok();
        if (!ok) {
            why = out.detail.empty() ? out.message : fmt::format("{}: {}", out.message, out.detail);
            // This standby received WAL from the old primary past the point
            // where the new one forked (it kept streaming until the old
            // primary was cut off or fenced; found diverged before the
            // switch, or too late, when the new upstream never started
            // streaming to it). That WAL exists nowhere else now: rewinding
            // it away is what rejoining the old primary does too, and
            // pg_rewind does nothing when it is not needed.
            if (out.needs_rewind() && s.tuning.primary_fencing == Tuning::Fencing::Rejoin)
                ok = follow_by_rewind(s, p.leader, why);
        }
    }
    std::string details = ok ? fmt::format("node {} now follows new primary node {}", s.node_id,
                                           p.leader)
                             : fmt::format("node {} could not follow new primary node {}: {}",
                                           s.node_id, p.leader, why);
    if (ok)
        ctx_.log.notice("{}", details);
    else
        ctx_.log.warning("{}", details);
    record_on(s, p.leader, "repmgrd_failover_follow", ok, details);
    return ActionOutcome{ActionOutcome::Kind::Follow, ok, p.leader, details};
}

bool Effects::follow_by_rewind(const Snapshot& s, int leader, const std::string& why) {
    const NodeRecord* leader_record = find_record(s.nodes, leader);
    if (!leader_record) return false;
    std::string data_directory;
    try {
        data_directory = local_data_directory(ctx_, links_.local.current());
    } catch (const Failure& f) {
        ctx_.log.error("cannot rewind this standby: {}", f.what());
        return false;
    }
    ctx_.log.warning("{}; stopping this standby and rewinding it to follow node {} "
                     "(primary_fencing=rejoin)", why, leader);
    if (!stop_local_server(data_directory, "follow by rewind")) return false;
    return rejoin_with_rewind(*leader_record, data_directory, "follow by rewind");
}

bool Effects::stop_local_server(const std::string& data_directory, const char* why) {
    links_.local.drop(fmt::format("stopped by {}", why));
    links_.primary_own.drop(fmt::format("stopped by {}", why));
    try {
        ServerControl(ctx_.config, ctx_.log, data_directory).stop(StopMode::Fast);
        return true;
    } catch (const Failure& f) {
        ctx_.log.error("{}: unable to stop the server: {}", why, f.what());
        if (!f.detail().empty()) ctx_.log.detail(f.detail());
        return false;
    }
}

bool Effects::rejoin_with_rewind(const NodeRecord& upstream, const std::string& data_directory,
                                 const char* why) {
    RejoinRequest request;
    request.upstream_conninfo = upstream.conninfo;
    request.data_directory = data_directory;
    request.force_rewind = true;
    RejoinOutcome out = rejoin_node(ctx_, request);
    if (out.ok()) return true;
    ctx_.log.error("{}: node rejoin failed: {}", why, out.message);
    if (!out.detail.empty()) ctx_.log.detail(out.detail);
    ctx_.log.hint(fmt::format("the server stays stopped; run \"repmgr node rejoin -d '{}' "
                              "--force-rewind\" by hand",
                              upstream.conninfo));
    return false;
}

}  // namespace repmgr::repmgrd
