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

    // Voting members: every sibling standby, the witness, and the lost primary.
    int members = static_cast<int>(in.standbys.size()) + (in.has_witness ? 1 : 0) + 1;
    int seen = static_cast<int>(visible.size()) + (in.has_witness && in.witness_reachable ? 1 : 0);
    if (seen * 2 <= members)
        return {ElectionOutcome::NoQuorum, std::nullopt,
                fmt::format("I will not fail over because I can see only {} of {} voting members "
                            "(a majority is {})",
                            seen, members, members / 2 + 1)};

    // Location: a candidate outside the primary's location may only win when
    // the primary's location is visibly represented here (else we may be the
    // isolated site, and the primary may be alive on the other side).
    bool primary_site_visible = in.has_witness && in.witness_reachable &&
                                in.witness_location == in.primary_location;
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
    if (best->node_id == in.self_id)
        return {ElectionOutcome::PromoteSelf, best->node_id,
                fmt::format("this node ranks first among {} candidate(s) ({}): promoting",
                            eligible.size(), basis)};
    return {ElectionOutcome::FollowOther, best->node_id,
            fmt::format("node {} ranks first among {} candidate(s) ({}): waiting for it to promote",
                        best->node_id, eligible.size(), basis)};
}

}  // namespace repmgr
