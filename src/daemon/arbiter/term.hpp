#pragma once

// What decide() knows of the arbiter: plain data, filled by the observer.

#include <optional>
#include <string>
#include <vector>

namespace repmgr::repmgrd {

// One failover term: "primary `failed_primary_id` on timeline `timeline`
// failed". The arbiter lets at most one node win each term.
struct FailoverTerm {
    int failed_primary_id = 0;
    int timeline = 0;
};

// A term's claim as the arbiter holds it. A confirmed claim is final; an
// unconfirmed claim past its deadline may be taken over by another candidate.
struct TermClaim {
    int holder = 0;
    bool expired = false;
    std::vector<int> passed_over;  // earlier holders of this term whose claims expired
};

// The arbiter as this tick saw it.
struct ArbiterView {
    std::string name = "none";      // "witness", "none"; used in sentences
    bool required = false;          // promotions need its consent (false: no arbiter)
    bool reachable = false;
    std::optional<TermClaim> claim; // the term's claim, when some node has claimed it
    // A consensus store (etcd) whose leader key is given to a standby only
    // after the primary's lease ran out: it replaces the majority of visible
    // members and the location rule of the election.
    bool quorum = false;
};

// The leader key of a lease arbiter as the primary's renewal found it.
struct Leadership {
    bool applies = false;    // the arbiter works by lease (false: witness, none)
    bool reachable = false;  // the arbiter answered
    bool held = false;       // this node holds the key and renewed its lease just now
    int holder = 0;          // the node that holds the key (0: nobody, or unknown)
    int ttl_s = 0;           // the lease's length
    std::string error;       // not reachable: why
    // Seconds from the snapshot to the end of this tick's arbiter calls (the
    // decision comes right after): a tick cut off from etcd takes its calls'
    // timeouts, and the next one will take as long.
    double answered_after_s = 0;
};

// etcd_failsafe: a node's promise not to take the leader key, as the
// primary reads it (the standbys write it on the primary while they cannot
// reach etcd; it lasts the lease's length from when it was written).
struct FailsafePromise {
    int node_id = 0;
    std::optional<double> age_s;  // nullopt: this node never promised
};

// What a node's repmgrd publishes of itself every tick, where the arbiter
// keeps a node list (etcd: P/nodes/<id>), for `repmgr cluster show`.
struct NodeReport {
    int node_id = 0;
    std::string name;
    std::string role;                // "primary", "standby", "witness"
    std::optional<int> upstream_id;  // the node it follows (standby)
    bool server_up = false;          // its own server answered this tick
    bool in_recovery = false;        // ... and was in recovery
    std::string reason;              // repmgrd's latest decision, as daemon status shows it
};

// A primary's repmgrd reported its own server crashed (its postmaster gone,
// not back within primary_restart_grace). decide() judges whether to believe
// it: the node it considers the primary, the timeline it last read from it,
// written after its own last contact with it.
struct CrashReport {
    int node_id = 0;           // the node whose server crashed
    int timeline = 0;          // the timeline it was primary on
    int reporter_id = 0;       // the repmgrd that wrote the report
    long long age_ms = 0;      // how long ago, by the arbiter's clock
};

}  // namespace repmgr::repmgrd
