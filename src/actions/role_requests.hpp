#pragma once

// Typed entry points for the role changes that both the command line and
// repmgrd carry out: parameter structs in, outcome values out. The command
// line maps Options onto a request and an unsuccessful outcome onto its exit
// code; repmgrd decides on the outcome's status, never on message text.
//
// Implemented in standby_follow.cpp and node_rejoin.cpp (check -> plan ->
// execute). Every refusal or failure that repmgr reports as a Failure (with
// its exit code, DETAIL and HINT) comes back as an outcome; the status is set
// where the check decides it. Only errors outside that (std::bad_alloc, a
// filesystem error) still propagate as exceptions.

#include <optional>
#include <string>

#include "actions/context.hpp"
#include "util/exit_codes.hpp"

namespace repmgr {

// Point this running standby at another node.
struct FollowRequest {
    std::optional<int> upstream_node_id;  // nullopt: the cluster's current primary
    bool wait_for_primary = false;        // -w: wait up to primary_follow_timeout for one
    bool dry_run = false;                 // plan only: log what execute would do
    std::string data_directory;           // -D; empty: data_directory, else the server's
};

enum class FollowStatus {
    Followed,          // streams from the new upstream; metadata updated
    AlreadyFollowing,  // nothing to do
    Planned,           // dry run: the plan was logged
    Diverged,          // this node has WAL the new upstream never had: needs a rewind
    NotStreaming,      // switched over, but the new upstream never streamed to it
    Failed,            // anything else (no target, connection refused, refused by a check)
};

struct FollowOutcome {
    FollowStatus status = FollowStatus::Failed;
    int upstream_node_id = 0;  // the node it follows (or tried to)
    ExitCode exit_code = ExitCode::Success;  // the command line's exit code for this outcome
    std::string message;       // what happened, one sentence
    std::string detail;
    std::string hint;
    bool ok() const {
        return status == FollowStatus::Followed || status == FollowStatus::AlreadyFollowing ||
               status == FollowStatus::Planned;
    }
    // The upstream answered and the node could not follow it because of its
    // own history: rewinding it is the way back.
    bool needs_rewind() const {
        return status == FollowStatus::Diverged || status == FollowStatus::NotStreaming;
    }
};

FollowOutcome follow_upstream(Context& ctx, const FollowRequest& request);

// Bring this stopped node back as a standby of `upstream_conninfo`'s cluster.
struct RejoinRequest {
    std::string upstream_conninfo;        // a running node of the cluster (-d)
    std::string data_directory;           // this node's (stopped) data directory
    std::optional<int> upstream_node_id;  // stream from this node instead of the primary
    bool force_rewind = false;            // --force-rewind
    bool dry_run = false;
};

enum class RejoinStatus {
    Rejoined,  // started as a standby (rewound when needed), metadata updated
    Planned,   // dry run
    Failed,
};

struct RejoinOutcome {
    RejoinStatus status = RejoinStatus::Failed;
    ExitCode exit_code = ExitCode::Success;
    std::string message;
    std::string detail;
    std::string hint;
    int upstream_node_id = 0;  // the node it streams from (or was to), once known
    bool rewound = false;      // pg_rewind ran (or, for a dry run, would run)
    bool ok() const { return status != RejoinStatus::Failed; }
};

RejoinOutcome rejoin_node(Context& ctx, const RejoinRequest& request);

}  // namespace repmgr
