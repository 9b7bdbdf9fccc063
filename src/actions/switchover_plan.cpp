#include "actions/switchover_plan.hpp"

#include <fmt/format.h>

namespace repmgr {
namespace {

std::string named(const SwitchoverNode& n) { return fmt::format("node {} (\"{}\")", n.id, n.name); }

std::string names(const std::vector<SwitchoverNode>& nodes) {
    std::string out;
    for (const auto& n : nodes) out += (out.empty() ? "" : ", ") + named(n);
    return out;
}

}  // namespace

RolePlan<SwitchoverStep> plan_switchover(const SwitchoverFacts& f) {
    RolePlan<SwitchoverStep> plan;
    if (f.pause_daemons)
        plan.add(SwitchoverStep::PauseDaemons,
                 "pause repmgrd on every node for the switchover (the nodes it pauses are "
                 "unpaused at the end, whatever happens)");
    plan.add(SwitchoverStep::StopPrimary,
             fmt::format("stop the primary {} on host \"{}\" after a CHECKPOINT: {}",
                         named(f.old_primary), f.old_host, f.stop_command));
    if (f.always_promote)
        plan.add(SwitchoverStep::WaitShutdownReplayed,
                 fmt::format("wait up to {} seconds until this node has replayed the primary's "
                             "shutdown checkpoint; --always-promote: promote even if it has not "
                             "(what it lacks is lost)",
                             f.catchup_timeout));
    else
        plan.add(SwitchoverStep::WaitShutdownReplayed,
                 fmt::format("wait up to {} seconds until this node has replayed the primary's "
                             "shutdown checkpoint (nothing committed is lost; otherwise the "
                             "primary is started again and the switchover stops)",
                             f.catchup_timeout));
    plan.add(SwitchoverStep::Promote,
             fmt::format("promote {} (this node) and record it as the primary, {} as its "
                         "inactive standby",
                         named(f.self), named(f.old_primary)));
    plan.add(SwitchoverStep::RejoinOldPrimary,
             fmt::format("rejoin {} as a standby of this node, on host \"{}\": {}",
                         named(f.old_primary), f.old_host, f.rejoin_command));
    if (!f.siblings.empty()) {
        if (f.siblings_follow)
            plan.add(SwitchoverStep::FollowSiblings,
                     fmt::format("make {} follow this node (\"repmgr standby follow\" over ssh)",
                                 names(f.siblings)));
        else
            plan.add(SwitchoverStep::LeaveSiblings,
                     fmt::format("leave {} following {}, now a standby of this node (use "
                                 "--siblings-follow to move them)",
                                 names(f.siblings), named(f.old_primary)));
    }
    plan.add(SwitchoverStep::RecordSwitchover, "record the standby_switchover event");
    if (f.force_unpause)
        plan.add(SwitchoverStep::UnpauseAllDaemons,
                 "unpause repmgrd on every node, also where it was paused before the switchover "
                 "(--repmgrd-force-unpause)");
    return plan;
}

}  // namespace repmgr
