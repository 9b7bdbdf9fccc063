#include "daemon/decide/election.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace repmgr {
namespace {

bool ranks_before(const CandidateView& a, const CandidateView& b) {
    if (a.received_lsn != b.received_lsn) return a.received_lsn > b.received_lsn;
    if (a.priority != b.priority) return a.priority > b.priority;
    return a.node_id < b.node_id;
}

std::string nodes_text(const std::vector<int>& ids) {
    std::string out;
    for (int id : ids) out += (out.empty() ? "" : ", ") + std::to_string(id);
    return out;
}

bool listed(const std::vector<int>& ids, int id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// Zero loss and the lag bounds: who of the eligible may promote without
// losing what the primary acknowledged (or more than the bounds allow).
std::vector<const CandidateView*> zero_loss_filter(const ElectionInput& in,
                                                   const std::vector<const CandidateView*>& visible,
                                                   const std::vector<const CandidateView*>& eligible,
                                                   std::vector<std::string>& excluded) {
    std::vector<const CandidateView*> out;
    if (in.zero_loss_candidates) {
        const std::vector<int>& rec = *in.zero_loss_candidates;
        for (const auto* s : eligible)
            if (listed(rec, s->node_id)) out.push_back(s);
        if (out.empty()) {
            // Name the recorded nodes this node cannot see (or cannot promote).
            std::vector<int> unseen;
            for (int id : rec) {
                if (id == in.failed_primary_id) continue;
                bool seen = false;
                for (const auto* s : visible)
                    if (s->node_id == id) seen = true;
                if (!seen) unseen.push_back(id);
            }
            if (rec.empty())
                excluded.insert(excluded.begin(),
                                "synchronous mode is on but no zero-loss candidate was ever "
                                "recorded");
            else if (!unseen.empty())
                excluded.insert(excluded.begin(),
                                fmt::format("the standbys that acknowledged commits, node {}, are "
                                            "unreachable",
                                            nodes_text(unseen)));
            else
                excluded.insert(excluded.begin(),
                                fmt::format("the standbys that acknowledged commits, node {}, may "
                                            "not be promoted",
                                            nodes_text(rec)));
            return out;
        }
    } else {
        out = eligible;
    }
    std::vector<const CandidateView*> bounded;
    for (const auto* s : out) {
        if (in.max_lag_bytes > 0 && in.primary_last_lsn > s->received_lsn &&
            static_cast<long long>(in.primary_last_lsn - s->received_lsn) > in.max_lag_bytes) {
            excluded.push_back(fmt::format(
                "node {} may miss {} bytes of the primary's WAL (it received up to {}, the "
                "primary was last seen at {}), over failover_max_lag_bytes ({})",
                s->node_id, in.primary_last_lsn - s->received_lsn, format_lsn(s->received_lsn),
                format_lsn(in.primary_last_lsn), in.max_lag_bytes));
            continue;
        }
        if (in.max_lag_secs > 0 && s->heartbeat_lag_s && *s->heartbeat_lag_s > in.max_lag_secs) {
            excluded.push_back(fmt::format(
                "node {} may miss {:.1f} s of the primary's writes (its newest primary heartbeat "
                "is that much older than its last contact with the primary), over "
                "failover_max_lag_secs ({})",
                s->node_id, *s->heartbeat_lag_s, in.max_lag_secs));
            continue;
        }
        bounded.push_back(s);
    }
    return bounded;
}

}  // namespace

ElectionResult elect(const ElectionInput& in) {
    std::vector<const CandidateView*> visible;
    for (const auto& s : in.standbys)
        if (s.reachable || s.node_id == in.self_id) visible.push_back(&s);

    for (const auto* s : visible) {
        if (s->node_id != in.self_id && !s->in_recovery)
            return {ElectionOutcome::NewPrimaryExists, s->node_id,
                    fmt::format("node {} is already running as a primary: following it", s->node_id)};
    }
    for (const auto* s : visible) {
        if (s->sees_primary)
            return {ElectionOutcome::PrimaryStillSeen, std::nullopt,
                    fmt::format("I will not fail over because node {} still receives WAL from "
                                "primary node {}",
                                s->node_id, in.failed_primary_id)};
    }

    // Zero loss: with no recorded candidate in sight there is nobody to
    // promote, whatever the quorum; say so first, it is what the DBA must fix.
    if (in.zero_loss_candidates && !in.zero_loss_candidates->empty()) {
        std::vector<int> unseen;
        bool any_seen = false;
        for (int id : *in.zero_loss_candidates) {
            if (id == in.failed_primary_id) continue;
            bool seen = false;
            for (const auto* s : visible)
                if (s->node_id == id) seen = true;
            any_seen = any_seen || seen;
            if (!seen) unseen.push_back(id);
        }
        if (!any_seen)
            return {ElectionOutcome::NoCandidate, std::nullopt,
                    fmt::format("I will not fail over because the standbys that acknowledged "
                                "commits, node {}, are unreachable",
                                unseen.empty() ? std::string("(none recorded)")
                                               : nodes_text(unseen))};
    }

    // Voting members: every sibling standby, the witness, and the lost primary.
    int members = static_cast<int>(in.standbys.size()) + (in.has_witness ? 1 : 0) + 1;
    int seen = static_cast<int>(visible.size()) + (in.has_witness && in.witness_reachable ? 1 : 0);
    if (seen * 2 <= members && !in.quorum_by_arbiter)
        return {ElectionOutcome::NoQuorum, std::nullopt,
                fmt::format("I will not fail over because I can see only {} of {} voting members "
                            "(a majority is {})",
                            seen, members, members / 2 + 1)};

    // Location: a candidate outside the primary's location may only win when
    // the primary's location is visibly represented here (else we may be the
    // isolated site, and the primary may be alive on the other side).
    bool primary_site_visible = in.quorum_by_arbiter ||
                                (in.has_witness && in.witness_reachable &&
                                 in.witness_location == in.primary_location);
    for (const auto* s : visible)
        if (s->location == in.primary_location) primary_site_visible = true;

    std::vector<const CandidateView*> eligible;
    std::vector<std::string> excluded;
    for (const auto* s : visible) {
        if (s->priority <= 0) {
            excluded.push_back(fmt::format("node {} has priority 0", s->node_id));
            continue;
        }
        if (s->location != in.primary_location && !primary_site_visible) {
            excluded.push_back(fmt::format("node {} is in location \"{}\", not the primary's \"{}\"",
                                           s->node_id, s->location, in.primary_location));
            continue;
        }
        eligible.push_back(s);
    }
    eligible = zero_loss_filter(in, visible, eligible, excluded);
    if (eligible.empty()) {
        std::string why = excluded.empty() ? "no standby is visible" : excluded.front();
        for (size_t i = 1; i < excluded.size(); ++i) why += "; " + excluded[i];
        return {ElectionOutcome::NoCandidate, std::nullopt,
                fmt::format("I will not fail over because no node may be promoted: {}", why)};
    }
    const CandidateView* best = *std::min_element(
        eligible.begin(), eligible.end(),
        [](const CandidateView* a, const CandidateView* b) { return ranks_before(*a, *b); });
    std::string basis = fmt::format("received LSN {}, priority {}", format_lsn(best->received_lsn),
                                    best->priority);
    // Who was passed over, and why, belongs in the log line the DBA reads.
    for (const auto& why : excluded) basis += "; not eligible: " + why;
    if (best->node_id == in.self_id)
        return {ElectionOutcome::PromoteSelf, best->node_id,
                fmt::format("this node ranks first among {} candidate(s) ({}): promoting",
                            eligible.size(), basis)};
    return {ElectionOutcome::FollowOther, best->node_id,
            fmt::format("node {} ranks first among {} candidate(s) ({}): waiting for it to promote",
                        best->node_id, eligible.size(), basis)};
}

}  // namespace repmgr
