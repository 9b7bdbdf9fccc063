#pragma once

// The plan of "repmgr standby switchover", built from checked facts only (no
// I/O), so that --dry-run and execute share one list of steps and a unit
// test can check it from fabricated facts.

#include <string>
#include <utility>
#include <vector>

#include "actions/role_plan.hpp"

namespace repmgr {

enum class SwitchoverStep {
    PauseDaemons,          // repmgrd must not take the stopped primary for a failure
    StopPrimary,           // CHECKPOINT, then a clean shutdown over ssh
    WaitShutdownReplayed,  // nothing the primary committed is lost
    Promote,               // this node, and the metadata
    RejoinOldPrimary,      // node rejoin --force-rewind over ssh
    FollowSiblings,        // --siblings-follow
    LeaveSiblings,         // without it: they keep the old primary (now a standby)
    RecordSwitchover,      // the standby_switchover event
    UnpauseAllDaemons,     // --repmgrd-force-unpause
};

struct SwitchoverNode {
    int id = 0;
    std::string name;
};

struct SwitchoverFacts {
    SwitchoverNode self;        // the standby to promote (where the command runs)
    SwitchoverNode old_primary;
    std::string old_host;        // ssh host of the old primary
    std::string stop_command;    // as run there
    std::string rejoin_command;  // as run there
    int catchup_timeout = 0;     // standby_catchup_timeout
    bool pause_daemons = false;  // the repmgrd table exists, and no --repmgrd-no-pause
    bool force_unpause = false;  // --repmgrd-force-unpause (and the repmgrd table exists)
    bool always_promote = false; // --always-promote: promote even if not caught up
    bool siblings_follow = false;
    std::vector<SwitchoverNode> siblings;  // other standbys of the old primary
};

RolePlan<SwitchoverStep> plan_switchover(const SwitchoverFacts& facts);

}  // namespace repmgr
