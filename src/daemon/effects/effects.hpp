#pragma once

#include <optional>
#include <string>
#include <vector>

#include "actions/context.hpp"
#include "daemon/arbiter/arbiters.hpp"
#include "daemon/decide/decide.hpp"
#include "daemon/observe/links.hpp"

namespace repmgr::repmgrd {

// The typed effects decide() can ask for: parameters in, outcomes out.
struct PromoteParams {
    FailoverTerm term;
    std::optional<int> take_over_from;  // the holder of an expired claim to take over
    std::string why;                    // the election's sentence
    FailoverTimes times;                // the episode so far, for the promotion's timeline
};

// The promotion's own milestones (wall clock), after the episode's FailoverTimes.
struct PromotionTimes {
    std::optional<WallClock::time_point> claim_won;   // the arbiter granted the term
    std::optional<WallClock::time_point> requested;   // pg_promote() / promote_command started
    std::optional<WallClock::time_point> writable;    // the server accepts writes
};

// {"last_contact":<epoch s>,...,"confirmed_by":"crash_report"|"reconnect_attempts"}:
// the failover's milestones, in the repmgrd_failover_promote event's details.
std::string failover_timeline_json(const FailoverTimes& episode, const PromotionTimes& promotion);

struct FollowParams {
    int leader = 0;
    std::string why;
};

struct SplitBrainFenceParams {
    int rival = 0;  // the node that is primary on the newer timeline
    Tuning::Fencing mode = Tuning::Fencing::Rejoin;
};

struct FenceOutcome {
    bool stopped = false;   // the local server is down
    bool rejoined = false;  // and back as a standby of the rival
};

// Carries out a step's actions, the only part of repmgrd with side effects
// besides opening connections. The outcomes that decide() needs are handed
// back for the next tick's snapshot.
class Effects {
public:
    Effects(Context& ctx, ServerLinks& links, Arbiters& arbiters)
        : ctx_(ctx), links_(links), arbiters_(arbiters) {}

    std::vector<ActionOutcome> run(const Snapshot& s, const Step& step);

private:
    void run_action(const Snapshot& s, const Step& step, const Action& a,
                    std::vector<ActionOutcome>& outcomes);
    void record_event(const Snapshot& s, const Action& a);
    // Records on node `node_id`'s own server when it answers, else on the primary.
    void record_on(const Snapshot& s, int node_id, const std::string& event, bool ok,
                   const std::string& details);
    void write_history(const Snapshot& s);
    void record_upstream(const Snapshot& s, const Action& a);
    ActionOutcome report_crash(const Snapshot& s, const Action& a);
    // zero_loss.cpp
    void record_zero_loss(const Snapshot& s, const Action& a);
    void set_sync_names(const Action& a);
    // promote.cpp
    ActionOutcome promote(const Snapshot& s, const PromoteParams& p);
    ArbiterAnswer confirm_claim(Arbiter& arbiter, const FailoverTerm& t, int self, int within_s);
    std::optional<std::string> claim_term(const Snapshot& s, Arbiter& arbiter,
                                          const PromoteParams& p, std::string& takeover);
    // follow.cpp
    ActionOutcome follow(const Snapshot& s, const FollowParams& p);
    bool follow_by_rewind(const Snapshot& s, int leader, const std::string& why);
    bool rejoin_with_rewind(const NodeRecord& upstream, const std::string& data_directory,
                            const char* why);
    bool stop_local_server(const std::string& data_directory, const char* why);
    // fence.cpp
    FenceOutcome fence_split_brain(const Snapshot& s, const SplitBrainFenceParams& p);
    void read_only_fence(const Snapshot& s, const Action& a);
    // A primary's own failover term (fenced or demoted, coming back): claimed,
    // or taken over from a standby whose claim expired unconfirmed.
    ArbiterAnswer claim_own_term(const Snapshot& s, Arbiter& arbiter, const FailoverTerm& term);
    void pre_fence(const Action& a);
    // A crashed primary about to be reported: marker and standby.signal.
    bool demote_crashed_on_disk(const Action& a);
    void record_own_promotion(const Action& a);
    // fence_demote.cpp
    void demote_fenced(const Action& a);
    void restore_demoted(const Snapshot& s, const Action& a);
    void rejoin_demoted(const Snapshot& s, const Action& a);
    void start_demoted(const Action& a);

    Context& ctx_;
    ServerLinks& links_;
    Arbiters& arbiters_;
};

const NodeRecord* find_record(const std::vector<NodeRecord>& nodes, int id);

}  // namespace repmgr::repmgrd
