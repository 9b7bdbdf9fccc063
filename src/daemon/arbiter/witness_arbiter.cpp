#include "daemon/arbiter/witness_arbiter.hpp"

#include "cluster/arbiter.hpp"
#include "cluster/crash_report.hpp"

namespace repmgr::repmgrd {

void WitnessArbiter::locate(const std::vector<NodeRecord>& nodes) {
    witness_.reset();
    for (const auto& n : nodes)
        if (n.type == NodeType::Witness && n.active) witness_ = n;
}

Connection* WitnessArbiter::connection() {
    if (!witness_) return nullptr;
    return link_.get(witness_->conninfo, link_settings(config_));
}

// Runs one arbiter statement; a statement that fails leaves its outcome
// unknown, which the caller treats as "not granted".
template <typename Call>
ArbiterAnswer WitnessArbiter::ask(Call&& call) {
    Connection* w = connection();
    if (!w) return ArbiterAnswer{ArbiterAnswer::Result::Unreachable, 0, link_.error()};
    try {
        return call(*w);
    } catch (const Failure& f) {
        link_.drop(failure_text(f));
        return ArbiterAnswer{ArbiterAnswer::Result::Unreachable, 0, failure_text(f)};
    }
}

ArbiterView WitnessArbiter::read(const FailoverTerm& term) {
    ArbiterView v;
    v.name = "witness";
    v.required = required();
    Connection* w = connection();
    if (!w) return v;
    try {
        if (auto c = read_failover_claim(*w, term.failed_primary_id, term.timeline))
            v.claim = TermClaim{c->winner_node_id, c->expired, c->passed_over};
        v.reachable = true;
    } catch (const Failure& f) {
        link_.drop(failure_text(f));
        v.claim.reset();
    }
    return v;
}

ArbiterAnswer WitnessArbiter::claim(const FailoverTerm& term, int candidate, int confirm_within_s) {
    return ask([&](Connection& w) {
        FailoverClaim c = claim_failover_term(w, term.failed_primary_id, term.timeline, candidate,
                                              confirm_within_s);
        return ArbiterAnswer{c.winner_node_id == candidate ? ArbiterAnswer::Result::Granted
                                                           : ArbiterAnswer::Result::Refused,
                             c.winner_node_id, {}};
    });
}

ArbiterAnswer WitnessArbiter::take_over(const FailoverTerm& term, int stale_holder, int candidate,
                                        int confirm_within_s) {
    return ask([&](Connection& w) {
        bool won = take_over_failover_claim(w, term.failed_primary_id, term.timeline, stale_holder,
                                            candidate, confirm_within_s);
        return ArbiterAnswer{won ? ArbiterAnswer::Result::Granted : ArbiterAnswer::Result::Refused,
                             won ? candidate : 0, {}};
    });
}

ArbiterAnswer WitnessArbiter::confirm(const FailoverTerm& term, int candidate) {
    return ask([&](Connection& w) {
        bool ok = confirm_failover_claim(w, term.failed_primary_id, term.timeline, candidate);
        return ArbiterAnswer{ok ? ArbiterAnswer::Result::Granted : ArbiterAnswer::Result::Refused,
                             ok ? candidate : 0, {}};
    });
}

void WitnessArbiter::release(const FailoverTerm& term, int candidate) {
    // Best effort: an unreleased claim expires at its deadline anyway.
    ask([&](Connection& w) {
        release_failover_claim(w, term.failed_primary_id, term.timeline, candidate);
        return ArbiterAnswer{ArbiterAnswer::Result::Granted, candidate, {}};
    });
}

ArbiterAnswer WitnessArbiter::report_crash(const FailoverTerm& term, int reporter) {
    return ask([&](Connection& w) {
        write_crash_report(w, term.failed_primary_id, term.timeline, reporter);
        return ArbiterAnswer{ArbiterAnswer::Result::Granted, reporter, {}};
    });
}

std::optional<CrashReport> WitnessArbiter::read_crash_report() {
    Connection* w = connection();
    if (!w) return std::nullopt;
    try {
        // LISTEN first: a report written between the two statements still
        // wakes the waiting loop. Every time: a no-op on a connection already
        // listening, and a re-opened link needs it again.
        listen_for_crash_reports(*w);
        listening_ = true;
        // What was announced before this read is in its answer: only a
        // report written from now on may wake the loop (a stale wake-up
        // would count as an early reconnect attempt).
        w->take_notifications();
        auto r = read_newest_crash_report(*w);
        if (!r) return std::nullopt;
        return CrashReport{r->node_id, r->timeline, r->reporter_node_id, r->age_ms};
    } catch (const Failure& f) {
        listening_ = false;
        link_.drop(failure_text(f));
        return std::nullopt;
    }
}

std::string WitnessArbiter::write_zero_loss(const ZeroLossRecord& record) {
    ArbiterAnswer a = ask([&](Connection& w) {
        write_zero_loss_record(w, record);
        return ArbiterAnswer{ArbiterAnswer::Result::Granted, 0, {}};
    });
    return a.granted() ? std::string{} : a.error;
}

std::optional<ZeroLossRecord> WitnessArbiter::read_zero_loss() {
    Connection* w = connection();
    if (!w) return std::nullopt;
    try {
        return read_zero_loss_record(*w);
    } catch (const Failure& f) {
        link_.drop(failure_text(f));
        return std::nullopt;
    }
}

int WitnessArbiter::report_socket() {
    Connection* w = link_.current();
    if (!w || !listening_ || !w->ok()) return -1;
    return w->socket();
}

bool WitnessArbiter::report_arrived() {
    Connection* w = link_.current();
    if (!w || !listening_) return false;
    if (!w->still_open_after_input()) {
        // A broken connection stays readable: drop it, or the loop would spin.
        listening_ = false;
        link_.drop("the witness closed the connection");
        return false;
    }
    return w->take_notifications() > 0;
}

}  // namespace repmgr::repmgrd
