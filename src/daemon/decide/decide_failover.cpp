// decide() for failover and fencing: pure, like the rest of decide().
#include <algorithm>

#include <fmt/format.h>

#include "daemon/decide/decide_steps.hpp"
#include "daemon/decide/fence_demote.hpp"

namespace repmgr::repmgrd {
namespace {

const CandidateView* find_view(const FailoverView& f, int node_id) {
    for (const auto& v : f.election.standbys)
        if (v.node_id == node_id) return &v;
    return nullptr;
}

// Once per episode as an event; every time as the sentence of the tick.
void abort_failover(const Snapshot& s, Step& step, const std::string& why) {
    Memory& m = step.next;
    apply_trigger(step, Trigger::ElectionAborted);
    set_decision(step, why);
    if (!m.abort_recorded)
        add_event(step, "repmgrd_failover_abort",
                  fmt::format("node {}: {}", s.node_id, why), false);
    m.abort_recorded = true;
}

void follow_leader(Step& step, int leader, std::string why, Clock::time_point now) {
    Memory& m = step.next;
    m.leader_id = leader;
    m.leader_since = now;
    set_decision(step, std::move(why));
    apply_trigger(step, Trigger::LostElection);
}

void run_election(const Snapshot& s, Step& step);

const ActionOutcome* find_outcome(const Snapshot& s, ActionOutcome::Kind kind) {
    for (const auto& o : s.outcomes)
        if (o.kind == kind) return &o;
    return nullptr;
}

const TermClaim* term_claim(const Snapshot& s) {
    return s.failover && s.failover->arbiter.claim ? &*s.failover->arbiter.claim : nullptr;
}

// The leader we wait for holds a claim it never confirmed, past its deadline:
// its repmgrd died or is stuck before promoting. Waiting longer is pointless.
// Or the leader we wait for is the failed primary, which held its own term
// (its leader lease, or a hold while it lifted its fence) and now holds none
// while it still does not accept writes: its lease expired.
bool leader_claim_expired(const Snapshot& s, int leader) {
    const TermClaim* c = term_claim(s);
    if (!c)
        return s.failover && s.failover->arbiter.required && s.failover->arbiter.reachable &&
               leader == s.failover->term.failed_primary_id;
    return c->holder == leader && c->expired;
}

// This node promotes: claims the term (or takes the expired claim of
// `take_over_from` over), re-checks, confirms, promotes (effects/promote).
void promote_self(const Snapshot& s, Step& step, std::string why,
                  std::optional<int> take_over_from = std::nullopt) {
    set_decision(step, why);
    apply_trigger(step, Trigger::WonElection);
    step.next.times.decided = s.wall;
    Action a{ActionKind::PromoteSelf, {}, std::move(why)};
    a.times = step.next.times;
    a.node = s.failover->term.failed_primary_id;
    a.term = s.failover->term;
    a.take_over_from = take_over_from;
    step.actions.push_back(std::move(a));
}

void await_leader(const Snapshot& s, Step& step, bool may_reelect = true) {
    Memory& m = step.next;
    if (!m.leader_id) {
        apply_trigger(step, Trigger::RetryElection);
        return;
    }
    int leader = *m.leader_id;
    // The leader came from this node's view; another may have won: the
    // term's claim says who (with a witness or etcd), else a sibling now
    // running as primary does. Elect again and that decides, at once rather
    // than after primary_follow_timeout (16 nodes under load saw different
    // rankings: the loser of the claim kept waiting 60 s for its own pick).
    if (may_reelect && s.failover) {
        const TermClaim* c = term_claim(s);
        std::optional<int> running = s.failover->running_primary_id;
        if ((c && !c->expired && c->holder != leader) || (!c && running && *running != leader)) {
            m.leader_id.reset();
            apply_trigger(step, Trigger::RetryElection);
            run_election(s, step);
            return;
        }
    }
    bool ready = false;
    if (s.failover) {
        if (s.failover->running_primary_id == leader) ready = true;
        if (const CandidateView* v = find_view(*s.failover, leader))
            ready = ready || (v->reachable && !v->in_recovery);
    }
    if (ready) {
        apply_trigger(step, Trigger::LeaderReady);
        m.follow_ticks = 0;
        set_decision(step, fmt::format("node {} accepts writes: following it", leader));
        step.actions.push_back({ActionKind::Follow, {}, step.next.last_decision, true, leader});
        return;
    }
    if (may_reelect && leader_claim_expired(s, leader)) {
        m.leader_id.reset();
        apply_trigger(step, Trigger::RetryElection);
        run_election(s, step);
        return;
    }
    if (m.leader_since &&
        s.at - *m.leader_since >= std::chrono::seconds(s.tuning.primary_follow_timeout)) {
        std::string why = fmt::format(
            "node {} did not become a writable primary within primary_follow_timeout ({} s)",
            leader, s.tuning.primary_follow_timeout);
        if (!m.abort_recorded)
            add_event(step, "repmgrd_failover_abort", fmt::format("node {}: {}", s.node_id, why),
                      false);
        m.abort_recorded = true;
        set_decision(step, why + ": electing again");
        m.leader_id.reset();
        apply_trigger(step, Trigger::RetryElection);
        return;
    }
    set_decision(step, fmt::format("waiting for node {} to accept writes", leader));
}

// With the guard on (guard_timeout), the failed primary may be alive, cut
// off, and with its repmgrd dead: only its guard fences it, within
// guard_fence_bound_seconds of the cut. Or its server froze while its
// repmgrd runs: that repmgrd queues an immediate stop within
// stall_fence_bound_seconds. This standby lost contact no later than the cut
// (or up to a monitor interval before the freeze, which that bound counts),
// so it waits the longer of the two (the first and 1 s) from its last
// contact. A crash reported by the primary's own repmgrd needs no wait: that
// repmgrd is alive and the server is gone.
std::optional<std::string> guard_wait(const Snapshot& s, const Memory& m) {
    if (s.tuning.guard_timeout <= 0 || m.times.by_crash_report || !m.upstream_last_contact)
        return std::nullopt;
    const int response = std::max(1, s.tuning.master_response_timeout);
    int bound = std::max(guard_fence_bound_seconds(s.tuning.guard_timeout, response) + 1,
                         stall_fence_bound_seconds(s.tuning.guard_timeout,
                                                   std::max(1, s.tuning.monitor_interval_secs),
                                                   response));
    auto since = std::chrono::duration_cast<std::chrono::milliseconds>(
        s.at - *m.upstream_last_contact);
    if (since >= std::chrono::seconds(bound)) return std::nullopt;
    return fmt::format("this node would promote, but the last contact with node {} was {:.1f} s "
                       "ago: its guard or repmgrd may still be fencing it (guard_timeout {} s, "
                       "fenced within {} s): waiting",
                       s.failover->term.failed_primary_id, since.count() / 1000.0,
                       s.tuning.guard_timeout, bound);
}

bool contains(const std::vector<int>& ids, int id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// The claim of the term names a node that neither confirmed it nor promoted
// within its deadline. The election is re-run among the others: the node
// passed over may still be the most advanced standby, but its repmgrd is not
// acting, and nothing else may promote it. The best remaining candidate takes
// the claim over (PromoteSelf: the act sees the expired claim in the
// snapshot and takes it over instead of inserting one); the others wait for
// it. Everything the decision needs to be safe is re-checked on the witness
// by the takeover itself (still unconfirmed, still expired, same winner).
void take_over_election(const Snapshot& s, Step& step) {
    const FailoverView& f = *s.failover;
    const TermClaim& claim = *term_claim(s);
    const int stale = claim.holder;
    ElectionInput e = f.election;
    std::vector<int> passed_over = claim.passed_over;
    passed_over.push_back(stale);
    const CandidateView* stale_view = find_view(f, stale);
    for (auto& c : e.standbys) {
        // Priority 0 keeps them counted as visible voting members, but out of
        // the ranking; a passed-over node that runs as a primary is still
        // followed (elect() looks for running primaries before ranking).
        if (contains(passed_over, c.node_id)) c.priority = 0;
    }
    std::string head =
        fmt::format("the claim of node {} on the failover of node {} (timeline {}) expired "
                    "unconfirmed: its repmgrd did not promote it in time",
                    stale, f.term.failed_primary_id, f.term.timeline);
    ElectionResult r = elect(e);
    switch (r.outcome) {
        case ElectionOutcome::PromoteSelf: {
            std::string why = head + "; " + r.reason;
            const CandidateView* me = find_view(f, s.node_id);
            if (stale_view && me && stale_view->reachable &&
                stale_view->received_lsn > me->received_lsn)
                // Keep it simple and safe: promote anyway, and say so.
                why += fmt::format(" (node {} has received more WAL, {}, than this node, {}: "
                                   "the difference is lost when it follows or is rejoined)",
                                   stale, format_lsn(stale_view->received_lsn),
                                   format_lsn(me->received_lsn));
            promote_self(s, step, why, stale);
            return;
        }
        case ElectionOutcome::FollowOther:
        case ElectionOutcome::NewPrimaryExists:
            follow_leader(step, *r.winner_id, head + "; " + r.reason, s.at);
            await_leader(s, step, false);
            return;
        case ElectionOutcome::PrimaryStillSeen:
        case ElectionOutcome::NoQuorum:
        case ElectionOutcome::NoCandidate:
            abort_failover(s, step, head + "; " + r.reason);
            return;
    }
}

void run_election(const Snapshot& s, Step& step) {
    Memory& m = step.next;
    m.last_election = s.at;
    if (!s.failover) {
        abort_failover(s, step, "I will not fail over because the cluster could not be observed "
                                "(the local metadata is unreadable)");
        return;
    }
    const FailoverView& f = *s.failover;
    if (!f.upstream_was_primary) {
        // A cascaded standby: its upstream was a standby; the primary is
        // alive elsewhere, so there is nothing to elect: follow the primary.
        if (f.running_primary_id)
            follow_leader(step, *f.running_primary_id,
                          fmt::format("upstream node {} (a standby) failed: following the "
                                      "primary node {}",
                                      f.term.failed_primary_id, *f.running_primary_id),
                          s.at);
        else
            abort_failover(s, step,
                           fmt::format("upstream node {} (a standby) failed and no primary is "
                                       "reachable to follow",
                                       f.term.failed_primary_id));
        if (m.state == State::AwaitingLeader) await_leader(s, step, false);
        return;
    }
    // The arbiter decides who won a term: a claim, once made, is final
    // (unless it expires unconfirmed).
    // The primary's own hold (taken while it lifts its fence, given back at
    // once) left to expire: its repmgrd died holding it. Not a stalled
    // candidate: an ordinary election, which takes the row over if it wins.
    std::optional<int> primarys_stale_hold;
    const TermClaim* claim = term_claim(s);
    if (claim && claim->expired && claim->holder == f.term.failed_primary_id) {
        primarys_stale_hold = claim->holder;
        claim = nullptr;
    }
    if (claim) {
        if (claim->holder == s.node_id) {
            promote_self(s, step,
                         fmt::format("this node already holds the claim for the failover of "
                                     "node {} (timeline {}): promoting",
                                     f.term.failed_primary_id, f.term.timeline));
            return;
        }
        if (claim->expired) {
            take_over_election(s, step);
            return;
        }
        // The primary itself holds its term while it lifts its read-only
        // fence: it is back, and this node goes on following it.
        follow_leader(step, claim->holder,
                      claim->holder == f.term.failed_primary_id
                          ? fmt::format("node {} holds its own failover term on the {} (its "
                                        "leader lease, or a hold while it lifts its read-only "
                                        "fence): it is alive; waiting until it answers or gives "
                                        "the term up",
                                        claim->holder, f.arbiter.name)
                          : fmt::format("node {} won the failover of node {} (claim on the {})",
                                        claim->holder, f.term.failed_primary_id, f.arbiter.name),
                      s.at);
        await_leader(s, step, false);
        return;
    }
    ElectionResult r = elect(f.election);
    switch (r.outcome) {
        case ElectionOutcome::PromoteSelf:
            if (f.arbiter.required && !f.arbiter.reachable) {
                abort_failover(s, step,
                               fmt::format("I will not fail over because the {} cannot be "
                                           "reached to claim the failover term",
                                           f.arbiter.name));
                return;
            }
            if (auto wait = guard_wait(s, m)) {
                set_decision(step, *wait);  // still electing: the next tick elects again
                return;
            }
            promote_self(s, step, r.reason, primarys_stale_hold);
            return;
        case ElectionOutcome::FollowOther:
        case ElectionOutcome::NewPrimaryExists:
            follow_leader(step, *r.winner_id, r.reason, s.at);
            await_leader(s, step, false);
            return;
        case ElectionOutcome::PrimaryStillSeen:
        case ElectionOutcome::NoQuorum:
        case ElectionOutcome::NoCandidate:
            abort_failover(s, step, r.reason);
            return;
    }
}

void promoting(const Snapshot& s, Step& step) {
    Memory& m = step.next;
    if (s.local.reachable && !s.local.in_recovery) {
        apply_trigger(step, Trigger::Promoted);
        return;
    }
    if (const TermClaim* claim = term_claim(s); claim && claim->holder != s.node_id) {
        follow_leader(step, claim->holder,
                      fmt::format("node {} claimed this failover term first: following it",
                                  claim->holder),
                      s.at);
        return;
    }
    apply_trigger(step, Trigger::PromotionFailed);
    // The promotion's own account (a veto, a refused claim, a failed
    // promote_command) is the reason, in the log and in the abort event.
    std::string why = "the promotion of this node did not happen";
    if (const ActionOutcome* o = find_outcome(s, ActionOutcome::Kind::Promote); o && !o->ok)
        why += ": " + o->reason;
    set_decision(step, why);
    if (!m.abort_recorded)
        add_event(step, "repmgrd_failover_abort", fmt::format("node {}: {}", s.node_id, why),
                  false);
    m.abort_recorded = true;
}

}  // namespace

void failover_step(const Snapshot& s, Step& step) {
    Memory& m = step.next;
    if (m.state == State::Promoting) {
        promoting(s, step);
        return;
    }
    if (m.state == State::UpstreamFailed) {
        if (!s.tuning.automatic_failover) {
            if (!m.manual_reported)
                add_event(step, "standby_disconnect_manual",
                          fmt::format("node {}: upstream node {} is unreachable; failover=manual, "
                                      "so no automatic action is taken",
                                      s.node_id, s.upstream_id.value_or(0)),
                          false);
            m.manual_reported = true;
            return;
        }
        if (s.paused) return;
        apply_trigger(step, Trigger::StartElection);
    }
    if (s.paused) return;  // a paused repmgrd never acts, whatever it was doing
    switch (m.state) {
        case State::Electing:
            run_election(s, step);
            return;
        case State::Degraded:
            if (!m.last_election ||
                s.at - *m.last_election >= std::chrono::seconds(s.tuning.election_rerun_interval)) {
                apply_trigger(step, Trigger::RetryElection);
                run_election(s, step);
            }
            return;
        case State::AwaitingLeader:
            await_leader(s, step);
            return;
        case State::Following:
            if (const ActionOutcome* o = find_outcome(s, ActionOutcome::Kind::Follow); o && !o->ok)
                set_decision(step, o->reason);
            // Streaming from the leader shows as UpstreamBack; until then give
            // the follow (and the metadata update reaching us) a few ticks.
            if (++m.follow_ticks >= 3) {
                m.leader_since = s.at;
                apply_trigger(step, Trigger::FollowFailed);
            }
            return;
        default:
            return;
    }
}

int claim_confirm_seconds(const Tuning& t) {
    return std::max(5, 3 * t.master_response_timeout + 1);
}

std::string failover_reason(const Snapshot& s, const Memory& m) {
    switch (m.state) {
        case State::UpstreamFailed:
        case State::Electing:
        case State::Promoting:
        case State::AwaitingLeader:
        case State::Following:
        case State::Degraded:
            if (s.paused && m.state != State::UpstreamFailed)
                return "repmgrd is paused in the middle of a failover; no action is taken";
            return m.last_decision;
        case State::SplitBrain:
            return s.primary_view && s.primary_view->rival_id
                       ? fmt::format("split brain: node {} is primary on newer timeline {}; "
                                     "this node must not take writes",
                                     *s.primary_view->rival_id, s.primary_view->rival_timeline)
                       : "split brain";
        case State::Isolated:
            return fmt::format("isolated: no majority visible, and the standbys could elect a "
                               "new primary without this one; this primary is read-only until "
                               "a majority is visible again");
        default:
            return {};
    }
}

}  // namespace repmgr::repmgrd
