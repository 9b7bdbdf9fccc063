#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "cluster/node_record.hpp"
#include "daemon/arbiter/term.hpp"
#include "daemon/decide/election.hpp"
#include "daemon/decide/fence_demote.hpp"
#include "daemon/decide/zero_loss.hpp"

namespace repmgr::repmgrd {

using Clock = std::chrono::steady_clock;  // intervals never follow wall-clock jumps
using WallClock = std::chrono::system_clock;  // only for reporting (the failover timeline)

enum class NodeRole { Unknown, Primary, Standby, Witness };

// One server as seen during this tick.
struct ServerView {
    bool reachable = false;
    bool in_recovery = false;
    std::string error;  // why it is unreachable
    // Unreachable after waiting out the whole deadline: frozen or hung, not
    // refusing (a refusal or an error comes back at once).
    bool no_answer = false;
};

// LSN positions for a monitoring history row (text as PostgreSQL prints them).
struct Positions {
    std::optional<std::string> primary_lsn;   // the primary's current WAL position
    std::optional<std::string> received_lsn;  // this standby's last received
    std::optional<std::string> replayed_lsn;  // this standby's last replayed
};

// The settings decide() needs, copied from the (reloadable) configuration.
struct Tuning {
    int monitor_interval_secs = 2;
    int reconnect_attempts = 3;
    int reconnect_interval = 2;
    int master_response_timeout = 2;
    int witness_sync_interval = 15;
    bool monitoring_history = false;
    bool automatic_failover = false;
    int primary_follow_timeout = 60;    // how long to wait for the election winner
    int election_rerun_interval = 5;    // pace of elections after an abort
    enum class Fencing { Rejoin, Stop, None } primary_fencing = Fencing::Rejoin;
    bool isolation_fencing = false;     // primary_isolation_fencing, only with failover=automatic
    int primary_restart_grace = 0;      // seconds a crashed local postmaster may take to return
    int fence_demote_timeout = 1;       // seconds fenced before restarting as a standby (0: never)
    SyncMode synchronous = SyncMode::Off;  // zero data loss (docs/failover.md)
    int synchronous_standby_count = 1;
    // The guard (docs/failover.md): this node's guard_timeout, which the
    // docs ask to be alike on every node. A standby does not promote before
    // the primary's guard has had its time to fence the primary.
    int guard_timeout = 0;
};

// What a standby sees when its upstream has failed: filled by observe() only
// then (it costs a connection to every sibling and to the witness).
struct FailoverView {
    bool upstream_was_primary = true;   // false: a cascaded standby lost its upstream standby
    FailoverTerm term;                  // the failed primary and its timeline
    ElectionInput election;             // siblings (self included) and witness
    ArbiterView arbiter;                // who may promote: the term's claim, if any
    std::optional<int> running_primary_id;  // a registered node answering as a writable primary
};

// What a primary sees of other registered nodes when some standby is missing
// (or when isolation fencing needs to know).
struct PrimaryView {
    int own_timeline = 0;
    std::optional<int> rival_id;        // another node running as primary on a newer timeline
    int rival_timeline = 0;
    int peers_total = 0;                // registered standbys + witness
    int peers_visible = 0;              // of those, answering now
    bool witness_visible = false;       // the witness is one of them
    bool fenced_read_only = false;      // default_transaction_read_only set by an isolation fence
    // Fenced only: the arbiter's claim on this primary's own failover term
    // (read before the fence is lifted: a standby may be promoting).
    ArbiterView own_term;
};

// What the effects of the previous tick reported: the next decide() reads
// it (a promotion vetoed at the last moment becomes the reason of the tick).
struct ActionOutcome {
    enum class Kind { Promote, Follow, CrashReport, ZeroLoss } kind = Kind::Promote;
    bool ok = false;
    int node = 0;        // Promote: the failed primary; Follow: the node followed; CrashReport: self
    std::string reason;  // a sentence: what happened, or why not
};

// One immutable picture of what this tick saw; built by observe(), consumed
// by the pure decide(). Unit tests fabricate them.
// The local postmaster as its data directory shows it while the server does
// not answer (primary only): a pid check, never a timeout.
enum class LocalPostmaster { Unknown, Running, Stopped, Crashed };

struct Snapshot {
    Clock::time_point at{};
    WallClock::time_point wall{};       // the same instant, for the failover timeline
    int node_id = 0;
    NodeRole role = NodeRole::Unknown;  // from this node's record; Unknown while unread
    ServerView local;
    std::optional<int> upstream_id;     // standby: the recorded upstream (monitored)
    ServerView upstream;                // meaningful only with upstream_id
    // standby: the node its WAL receiver streams from, when that is a
    // registered node other than the recorded upstream (the metadata is stale)
    std::optional<int> streams_from_other;
    // The primary's timeline as read from it this tick (its upstream, if primary)
    std::optional<int> upstream_timeline;
    bool primary_writable = false;      // a connection to the writable primary exists
    bool paused = false;                // "repmgr daemon pause" is in effect (last read while the primary is gone)
    Positions positions;
    // primary only: registered standbys that should stream from it, and the
    // application_names streaming now (pg_stat_replication)
    std::vector<std::string> expected_standbys;
    std::vector<std::string> attached_standbys;
    // primary with synchronous=on|strict: synchronous_standby_names, the
    // zero-loss record and the standbys' replication state
    std::optional<ZeroLossView> zero_loss;
    std::string location = "default";   // this node's location
    std::optional<FailoverView> failover;
    std::optional<PrimaryView> primary_view;
    // A registered primary whose server is down: another node answering as a
    // writable primary (its server must not come back writable).
    std::optional<int> primary_elsewhere;
    bool local_fenced = false;          // default_transaction_read_only=on in the local config
    // arbiter=etcd, a primary whose server answers writable: the leader key
    // as this tick's renewal found it (daemon.cpp renews it after observe())
    std::optional<Leadership> leadership;
    // ... and with etcd_failsafe, when etcd did not answer the renewal: the
    // promises of every other node that could take the key
    std::optional<std::vector<FailsafePromise>> failsafe_promises;
    // A registered primary demoted by its isolation fence (in recovery, marked
    // in its data directory): what it needs to come back.
    std::optional<DemotedView> demoted;
    // primary: the timeline it writes on (read while it answers), and what
    // its data directory says while it does not
    std::optional<int> local_timeline;
    LocalPostmaster local_postmaster = LocalPostmaster::Unknown;
    // standby whose upstream fails: the newest crash report on the arbiter
    std::optional<CrashReport> crash_report;
    std::vector<NodeRecord> nodes;      // repl_nodes as the local server has it (last read while down)
    std::vector<ActionOutcome> outcomes;  // the previous tick's effects
    Tuning tuning;
};

}  // namespace repmgr::repmgrd
