// The promotion of this node after it won an election: claim the term on the
// arbiter (or take an expired claim over), check once more that nobody else
// became primary, confirm the claim, promote, record.
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "actions/role_change.hpp"
#include "daemon/effects/effects.hpp"
#include "daemon/observe/probe.hpp"
#include "pg/control.hpp"
#include "util/process.hpp"

namespace repmgr::repmgrd {
namespace {

std::string epoch_text(WallClock::time_point t) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    return fmt::format("{}.{:03d}", ms / 1000, static_cast<int>(ms % 1000));
}

}  // namespace

std::string failover_timeline_json(const FailoverTimes& t, const PromotionTimes& p) {
    std::string out;
    auto add = [&](const char* key, const std::optional<WallClock::time_point>& at) {
        if (at) out += fmt::format("{}\"{}\":{}", out.empty() ? "" : ",", key, epoch_text(*at));
    };
    add("last_contact", t.last_contact);
    add("failure_noticed", t.noticed);
    add("failure_confirmed", t.confirmed);
    add("election_decided", t.decided);
    add("claim_won", p.claim_won);
    add("promotion_requested", p.requested);
    add("writable", p.writable);
    out += fmt::format("{}\"confirmed_by\":\"{}\"", out.empty() ? "" : ",",
                       t.by_crash_report ? "crash_report" : "reconnect_attempts");
    return "{" + out + "}";
}

namespace {

// The failed primary's last-moment probe: a healed network answers at once,
// and a frozen or cut-off primary must not delay every such failover by
// master_response_timeout.
constexpr int kFailedPrimaryRecheckSeconds = 1;

// Asked once the claim is held: a failed primary that answers again without
// its read-only fence (a partition healed while this election ran) keeps its
// place. It holds its own term while it lifts the fence (read_only_fence in
// fence.cpp), so either this node's claim kept the fence up, or the fence was
// down before the claim and shows here. A fenced one is being replaced.
std::optional<std::string> failed_primary_back(const std::vector<NodeRecord>& nodes, int failed,
                                               const Config& config) {
    const NodeRecord* n = find_record(nodes, failed);
    if (!n) return std::nullopt;
    auto probed = probe_nodes({n}, config, 0, kFailedPrimaryRecheckSeconds);
    const auto& state = probed.front().state;
    if (!state || state->in_recovery || state->read_only_fenced) return std::nullopt;
    return fmt::format("I will not promote because node {} answers again as a primary (timeline "
                       "{}) with its fence down: the failure ended while this node was being "
                       "elected; it stays a standby of node {}",
                       failed, state->timeline, failed);
}

ActionOutcome not_promoted(const FailoverTerm& term, std::string reason) {
    return ActionOutcome{ActionOutcome::Kind::Promote, false, term.failed_primary_id,
                         std::move(reason)};
}

}  // namespace

// Claims the term; returns why this node must not promote, or nullopt.
// `takeover` gets the event details when an expired claim was taken over.
std::optional<std::string> Effects::claim_term(const Snapshot& s, Arbiter& arbiter,
                                               const PromoteParams& p, std::string& takeover) {
    const int self = s.node_id;
    const FailoverTerm& t = p.term;
    const int confirm_within = claim_confirm_seconds(s.tuning);
    if (p.take_over_from) {
        // decide() saw this claim expired unconfirmed and chose this node to
        // take it over; the arbiter re-checks all of that atomically.
        ArbiterAnswer a = arbiter.take_over(t, *p.take_over_from, self, confirm_within);
        if (a.result == ArbiterAnswer::Result::Unreachable)
            return fmt::format("I will not promote because the {} could not take the claim over "
                               "(the outcome is unknown): {}",
                               arbiter.name(), a.error);
        if (!a.granted())
            return fmt::format("the claim of node {} on the failover of node {} (timeline {}) was "
                               "confirmed or taken over meanwhile: not promoting",
                               *p.take_over_from, t.failed_primary_id, t.timeline);
        takeover =
            *p.take_over_from == t.failed_primary_id
                ? fmt::format("node {} took over the hold node {} took on its own failover term "
                              "(timeline {}) to lift its fence: the hold expired, its repmgrd "
                              "did not give it back",
                              self, t.failed_primary_id, t.timeline)
                : fmt::format("node {} took over the failover claim of node {} for the failover "
                              "of node {} (timeline {}): node {} neither confirmed nor promoted "
                              "within its deadline",
                              self, *p.take_over_from, t.failed_primary_id, t.timeline,
                              *p.take_over_from);
        ctx_.log.warning("{}", takeover);
        return std::nullopt;
    }
    ArbiterAnswer a = arbiter.claim(t, self, confirm_within);
    // Unknown outcome: not promoting is safe either way. The next election
    // reads the claim (ours: promote then; else follow), and a claim of ours
    // left unconfirmed expires for the others.
    if (a.result == ArbiterAnswer::Result::Unreachable)
        return fmt::format("I will not promote because the failover claim on the {} failed: {}",
                           arbiter.name(), a.error);
    if (!a.granted() && a.holder == t.failed_primary_id)
        return fmt::format("node {} (the failed primary) still holds its term on the {} (its "
                           "leader lease, or a hold while it lifts its fence): not promoting "
                           "until it gives it up or it expires",
                           a.holder, arbiter.name());
    if (!a.granted())
        return fmt::format("node {} claimed the failover of node {} (timeline {}) first: not "
                           "promoting",
                           a.holder, t.failed_primary_id, t.timeline);
    if (arbiter.required())
        ctx_.log.notice("claimed the failover of node {} (timeline {}) on the {}; confirming it "
                        "within {} s",
                        t.failed_primary_id, t.timeline, arbiter.name(), confirm_within);
    return std::nullopt;
}

// The confirmation, asked again while its answer is lost (a deadline hit
// on a loaded arbiter): the request may have been applied, and a claim
// confirmed but never acted on would leave the cluster without a primary
// (its failed primary, demoted, waits for the term; the others wait for this
// node). Confirming is idempotent on both arbiters, and a takeover of the
// claim makes it Refused, so asking until the claim's own deadline is safe.
ArbiterAnswer Effects::confirm_claim(Arbiter& arbiter, const FailoverTerm& t, int self,
                                     int within_s) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(within_s);
    ArbiterAnswer a = arbiter.confirm(t, self);
    while (a.result == ArbiterAnswer::Result::Unreachable &&
           std::chrono::steady_clock::now() < deadline) {
        ctx_.log.warning("the {} did not answer the confirmation of this node's claim ({}): "
                         "asking again, since it may have been recorded",
                         arbiter.name(), a.error);
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        a = arbiter.confirm(t, self);
    }
    return a;
}

ActionOutcome Effects::promote(const Snapshot& s, const PromoteParams& p) {
    const int self = s.node_id;
    const FailoverTerm& t = p.term;
    Arbiter& arbiter = arbiters_.for_nodes(s.nodes);
    std::string takeover;
    PromotionTimes times;
    if (auto veto = claim_term(s, arbiter, p, takeover)) {
        ctx_.log.notice("{}", *veto);
        return not_promoted(t, *veto);
    }
    times.claim_won = WallClock::now();
    // Last check before the point of no return: nobody became primary meanwhile.
    std::vector<const NodeRecord*> others;
    for (const auto& n : s.nodes)
        if (n.id != self && n.id != t.failed_primary_id && n.type != NodeType::Witness)
            others.push_back(&n);
    // Over the election's own connections: 15 standbys opening fresh ones
    // at this moment cost the winner seconds under load (bench scale).
    for (const auto& probed : links_.peers.probe(others, ctx_.config))
        if (probed.state && !probed.state->in_recovery) {
            std::string veto = fmt::format("I will not promote because node {} already runs as a "
                                           "primary",
                                           probed.node->id);
            ctx_.log.warning("{}", veto);
            arbiter.release(t, self);
            return not_promoted(t, veto);
        }
    if (auto veto = failed_primary_back(s.nodes, t.failed_primary_id, ctx_.config)) {
        ctx_.log.warning("{}", *veto);
        arbiter.release(t, self);
        return not_promoted(t, *veto);
    }

    bool claim_final = false;
    try {
        // A connection without the monitoring statement_timeout: pg_promote waits.
        Connection local = Connection::open(ctx_.config.conninfo);
        std::string data_directory = local_data_directory(ctx_, &local);
        // The point of no return: from here this node promotes. The claim may
        // have been taken over while we were slow (stopped, swapping, a long
        // probe): the confirmation and a takeover cannot both succeed.
        ArbiterAnswer confirmed = confirm_claim(arbiter, t, self, claim_confirm_seconds(s.tuning));
        if (confirmed.result == ArbiterAnswer::Result::Unreachable)
            fail(ExitCode::FailoverFail,
                 fmt::format("the claim of this node on the failover of node {} (timeline {}) "
                             "could not be confirmed on the {}",
                             t.failed_primary_id, t.timeline, arbiter.name()),
                 confirmed.error,
                 "this node does not promote; the next election reads the claim again");
        if (!confirmed.granted())
            fail(ExitCode::FailoverFail,
                 fmt::format("the claim of this node on the failover of node {} (timeline {}) "
                             "was taken over by another node before it could be confirmed",
                             t.failed_primary_id, t.timeline),
                 confirmed.error, "this node does not promote; it follows the node that took over");
        claim_final = arbiter.required();
        if (claim_final)
            ctx_.log.notice("failover claim confirmed on the {}: promoting", arbiter.name());
        times.requested = WallClock::now();
        if (!ctx_.config.promote_command.empty()) {
            ctx_.log.notice("running promote_command: {}", ctx_.config.promote_command);
            ProcessResult r =
                run_shell(ctx_.config.promote_command, true, ctx_.config.command_timeout);
            if (r.timed_out)
                fail(ExitCode::Promoted,
                     fmt::format("promote_command did not finish within {} seconds "
                                 "(command_timeout) and was killed with its process group",
                                 ctx_.config.command_timeout),
                     r.output.empty() ? ctx_.config.promote_command : r.output,
                     "run the command by hand to see where it hangs and fix it in repmgr.conf "
                     "(or raise command_timeout)");
            if (r.exit_status != 0)
                fail(ExitCode::Promoted,
                     fmt::format("promote_command failed with exit status {}", r.exit_status),
                     r.output, "run the command by hand to see why, then fix it in repmgr.conf");
            if (!wait_until_writable(local, ctx_.config.promote_check_timeout))
                fail(ExitCode::Promoted, "the server does not accept writes after promote_command",
                     {}, "check the PostgreSQL log of this node");
        } else {
            promote_local_server(ctx_, local, data_directory);
        }
        times.writable = WallClock::now();  // both ways end once it accepts writes
        use_metadata_schema(local, schema_name(ctx_.config));
        record_promotion(ctx_, local, std::nullopt);
        // Recorded on the new primary: that is the metadata that lives on.
        if (!takeover.empty())
            ctx_.record(&local, "repmgrd_failover_claim_superseded", true, takeover,
                        *p.take_over_from);
        std::string details = fmt::format("node {} promoted to primary by repmgrd; former primary "
                                          "node {} marked inactive ({})",
                                          self, t.failed_primary_id, p.why);
        ctx_.log.notice("{}", details);
        // Where the failover's time went, machine-readable (bench/run reads it).
        details += "; failover_timeline=" + failover_timeline_json(p.times, times);
        ctx_.record(&local, "repmgrd_failover_promote", true, details, t.failed_primary_id);
        checkpoint_new_timeline(ctx_, local);
        return ActionOutcome{ActionOutcome::Kind::Promote, true, t.failed_primary_id, details};
    } catch (const Failure& fl) {
        if (!takeover.empty())
            ctx_.record(nullptr, "repmgrd_failover_claim_superseded", true, takeover,
                        *p.take_over_from);
        ctx_.log.error("automatic promotion of node {} failed: {}", self, fl.what());
        if (!fl.detail().empty()) ctx_.log.detail(fl.detail());
        // The confirmed claim is final: this node may have promoted part-way,
        // so no other standby takes the term over; they wait for this one.
        if (claim_final)
            ctx_.log.hint(fmt::format(
                "this node holds the confirmed claim on the failover of node {} (timeline {}) and "
                "the other standbys wait for it: find the cause in this node's PostgreSQL log "
                "(a full disk, say), fix it and start the server if it stopped; repmgrd then "
                "promotes it again",
                t.failed_primary_id, t.timeline));
        std::string why = fmt::format("node {}: promotion failed: {}", self, fl.what());
        ctx_.record(nullptr, "repmgrd_failover_promote", false, why, t.failed_primary_id);
        return not_promoted(t, why);
    }
}

}  // namespace repmgr::repmgrd
