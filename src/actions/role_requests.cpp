// PROVISIONAL: wraps the Options-driven verbs until they take requests
// directly (the helper reshaping actions/ replaces this file).
#include "actions/role_requests.hpp"

#include "actions/actions.hpp"

namespace repmgr {
namespace {

template <typename Outcome>
void from_failure(Outcome& out, const Failure& f) {
    out.exit_code = f.code();
    out.message = f.what();
    out.detail = f.detail();
    out.hint = f.hint();
}

}  // namespace

FollowOutcome follow_upstream(Context& ctx, const FollowRequest& request) {
    Options saved = ctx.opts;
    ctx.opts.upstream_node_id = request.upstream_node_id;
    ctx.opts.wait = request.wait_for_primary;
    ctx.opts.dry_run = request.dry_run;
    FollowOutcome out;
    out.upstream_node_id = request.upstream_node_id.value_or(0);
    try {
        run_standby_follow(ctx);
        out.status = request.dry_run ? FollowStatus::Planned : FollowStatus::Followed;
    } catch (const Failure& f) {
        from_failure(out, f);
        std::string_view what(f.what());
        if (what.find("history has diverged") != std::string_view::npos)
            out.status = FollowStatus::Diverged;
        else if (what.find("does not stream from") != std::string_view::npos)
            out.status = FollowStatus::NotStreaming;
        else
            out.status = FollowStatus::Failed;
    }
    ctx.opts = saved;
    return out;
}

RejoinOutcome rejoin_node(Context& ctx, const RejoinRequest& request) {
    Options saved = ctx.opts;
    ctx.opts.dbname = request.upstream_conninfo;
    ctx.opts.host.clear();
    ctx.opts.port.clear();
    ctx.opts.user.clear();
    ctx.opts.force_rewind = request.force_rewind;
    ctx.opts.dry_run = request.dry_run;
    ctx.opts.upstream_node_id = request.upstream_node_id;
    ctx.opts.pgdata = request.data_directory;
    RejoinOutcome out;
    try {
        run_node_rejoin(ctx);
        out.status = request.dry_run ? RejoinStatus::Planned : RejoinStatus::Rejoined;
    } catch (const Failure& f) {
        from_failure(out, f);
        out.status = RejoinStatus::Failed;
    }
    ctx.opts = saved;
    return out;
}

}  // namespace repmgr
