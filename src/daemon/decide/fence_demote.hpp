#pragma once

// A fence that holds (docs/failover.md, "Isolation fencing"): the read-only
// default of an isolated primary is only a default, which any session can
// turn off. Still fenced after fence_demote_timeout, the primary is restarted
// as a standby (recovery is read-only for everyone) and marked demoted in its
// data directory. It comes back as the primary only with a majority in sight,
// no other primary anywhere and the term claimed on the witness; otherwise it
// rejoins whoever is primary. The guard process (issue 21) uses the same rules
// when repmgrd itself is gone. Pure: no I/O.

#include <chrono>
#include <optional>
#include <string>

namespace repmgr::repmgrd {

using FenceClock = std::chrono::steady_clock;

// Whether `visible` of `total` standby/witness nodes, plus the primary itself,
// are a majority of the voting members (as the standbys count them).
bool sees_majority(int visible, int total);
// Whether the standbys could elect a new primary without this one: the
// voting members it cannot see, plus the witness when it sees it (the
// witness answers everyone), are a majority. Then it must fence itself.
bool others_could_elect(int visible, int total, bool witness_visible);

// Whether a primary fenced since `fenced_since` is due to be demoted;
// `timeout_s` 0 never demotes.
bool fence_demote_due(FenceClock::time_point fenced_since, FenceClock::time_point now,
                      int timeout_s);
// The wait until that moment, when it is sooner than `usual`.
std::chrono::seconds fence_demote_wait(std::optional<FenceClock::time_point> fenced_since,
                                       FenceClock::time_point now, int timeout_s,
                                       std::chrono::seconds usual);

// What a demoted primary (in recovery, marker in its data directory) sees.
struct DemotedView {
    int timeline = 0;                       // the timeline it was primary on
    int peers_total = 0;                    // registered standbys + witness
    int peers_visible = 0;                  // of those, answering now
    std::optional<int> primary_elsewhere;   // another node answering as a writable primary
};

struct DemotedVerdict {
    enum class Kind { Stay, Restore, Rejoin } kind = Kind::Stay;
    int node = 0;        // Rejoin: the primary to rejoin
    std::string reason;  // a sentence
};
// Restore (promote again, after claiming the term) only with a majority and
// no other primary; Rejoin when another node is primary and `may_rejoin`
// (primary_fencing=rejoin); Stay otherwise.
DemotedVerdict judge_demoted(int node_id, const DemotedView& v, bool may_rejoin);

// The guard (repmgrd --guard): what it does on each of its checks.
struct GuardInput {
    double heartbeat_age_s = 0;      // since repmgrd last touched the heartbeat file
    int guard_timeout_s = 0;
    bool local_writable = false;     // the local server runs as a primary
    bool local_fenced = false;       // its read-only fence is up
    std::optional<bool> majority;    // checked this round (nullopt: not yet)
    // Checked with the majority: another node runs as a primary on a later
    // timeline (a failover happened while repmgrd was silent).
    int newer_primary_id = 0;
    int newer_primary_timeline = 0;
    // How long the fence has been up (set by the guard), for the demotion.
    std::optional<double> fenced_for_s;
    int fence_demote_timeout_s = 0;
};
struct GuardVerdict {
    enum class Kind {
        Idle,           // repmgrd is alive, or the local server is no primary
        CheckMajority,  // repmgrd is silent: look whether this primary sees a majority
        Fence,          // silent repmgrd, and no majority or a newer primary: read-only
                        // now, sessions ended
        Demote,         // still fenced after fence_demote_timeout: restart as a standby
        Wait,           // fenced, waiting for the demotion or a majority
    } kind = Kind::Idle;
    std::string reason;
};
GuardVerdict guard_decide(const GuardInput& in);

// Seconds after the primary is cut off (with repmgrd already silent) by
// which the guard has fenced it at the latest: its poll, the heartbeat age,
// the majority check (connect_timeout, at least 2 s in libpq).
int guard_fence_bound_seconds(int guard_timeout_s, int check_s);
// Seconds after a primary's server froze (its processes stopped, a hung
// disk) by which its repmgrd has queued an immediate stop at the latest,
// guard_timeout being on: the freeze may come just after a check answered,
// the next check starts up to a monitor interval later and fails only after
// its deadline (response_timeout + 0.5 s); then guard_timeout must have
// passed since the last answer. A standby counts from its own last contact,
// up to one monitor interval before the freeze: its wait covers that too.
int stall_fence_bound_seconds(int guard_timeout_s, int monitor_interval_s, int response_timeout_s);
// The earliest a standby may promote after its primary is cut off: its
// reconnect attempts are spent, and no standby's WAL receiver has heard from
// the primary within `receiver_freshness_s` (such a standby vetoes the
// election, see probe.hpp).
int standby_promote_earliest_seconds(int reconnect_attempts, int reconnect_interval,
                                     int receiver_freshness_s);

}  // namespace repmgr::repmgrd
