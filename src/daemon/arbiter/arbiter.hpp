#pragma once

// Who may promote is asked of an arbiter: the witness row is the first
// implementation, the null arbiter serves clusters without one, and a
// consensus store (etcd lease) can be another. decide() never talks to an
// arbiter: the observer reads it into the snapshot (ArbiterView), the effects
// claim, confirm, take over and release, and the outcome feeds the next tick.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "cluster/zero_loss.hpp"
#include "daemon/arbiter/term.hpp"

namespace repmgr::repmgrd {

// The answer to a claim, confirmation or takeover.
struct ArbiterAnswer {
    enum class Result {
        Granted,      // this candidate holds (or confirmed) the term
        Refused,      // another node holds it, or the claim moved on
        Unreachable,  // no answer: the outcome is unknown, so this node does not promote
    } result = Result::Unreachable;
    int holder = 0;     // Refused: the node that holds the term, when known
    std::string error;  // Unreachable: why
    bool granted() const { return result == Result::Granted; }
};

class Arbiter {
public:
    virtual ~Arbiter() = default;
    virtual std::string_view name() const = 0;
    // Whether promotions need this arbiter's consent.
    virtual bool required() const = 0;
    // Reads the term's claim; nothing is written.
    virtual ArbiterView read(const FailoverTerm& term) = 0;
    // Becomes the holder of `term` unless some node already is; the holder
    // must confirm within `confirm_within_s`, or may be taken over.
    virtual ArbiterAnswer claim(const FailoverTerm& term, int candidate, int confirm_within_s) = 0;
    // Takes the expired, unconfirmed claim of `stale_holder` over.
    virtual ArbiterAnswer take_over(const FailoverTerm& term, int stale_holder, int candidate,
                                    int confirm_within_s) = 0;
    // The holder, right before it promotes: Granted makes the claim final.
    virtual ArbiterAnswer confirm(const FailoverTerm& term, int candidate) = 0;
    // The holder gives an unconfirmed claim up (it will not promote after all),
    // so that the others need not wait for its deadline.
    virtual void release(const FailoverTerm& term, int candidate) = 0;

    // The primary's repmgrd, when its own postmaster is gone: "primary
    // `term.failed_primary_id` on `term.timeline` crashed", written by
    // `reporter`. Granted when it is recorded where the standbys look.
    virtual ArbiterAnswer report_crash(const FailoverTerm& term, int reporter) = 0;
    // The newest crash report (of any node: the reader judges it); from then
    // on report_socket() wakes up when a new one is written.
    virtual std::optional<CrashReport> read_crash_report() = 0;
    // A socket to wait on for the next report (-1: none), and, once it is
    // readable, whether a report was announced (false: idle chatter, or the
    // connection broke and was dropped).
    virtual int report_socket() = 0;
    virtual bool report_arrived() = 0;

    // The primary's side of an arbiter that works by lease (etcd): called
    // every tick while its server answers as a writable primary. Renews the
    // leader key this node holds; acquires it when nobody holds it and
    // `may_acquire`. The witness and the null arbiter hold no lease.
    virtual Leadership hold_leadership(int node_id, bool may_acquire) {
        (void)node_id;
        (void)may_acquire;
        return Leadership{};
    }

    // Every tick, on every node: publishes `report` where the arbiter keeps
    // a node list (etcd). A node whose server answers in recovery (a standby
    // now, after a switchover or a demotion) also gives up a leader key it
    // still holds, so that the new primary need not wait for the lease to
    // run out. Unreachable when the arbiter did not answer; the witness and
    // the null arbiter keep no list and always grant.
    virtual ArbiterAnswer report_node(const NodeReport& report) {
        return ArbiterAnswer{ArbiterAnswer::Result::Granted, report.node_id, {}};
    }

    // etcd_failsafe: this node has just told the primary that it will not
    // take the leader key for `seconds`: claims and takeovers are refused
    // until then, whatever the arbiter says.
    virtual void promise_no_claim(std::chrono::seconds seconds) { (void)seconds; }

    // Zero data loss: the copy of the recorded zero-loss candidates kept
    // where every standby looks during a failover. Writing it is best effort
    // (the primary's own metadata is the first copy); an error says why not.
    virtual std::string write_zero_loss(const ZeroLossRecord& record) = 0;
    virtual std::optional<ZeroLossRecord> read_zero_loss() = 0;
};

// No arbiter: every claim is granted at once (without a witness, the
// majority rule of the election is the only guard).
class NullArbiter final : public Arbiter {
public:
    std::string_view name() const override { return "none"; }
    bool required() const override { return false; }
    ArbiterView read(const FailoverTerm&) override { return ArbiterView{}; }
    ArbiterAnswer claim(const FailoverTerm&, int candidate, int) override { return granted(candidate); }
    ArbiterAnswer take_over(const FailoverTerm&, int, int candidate, int) override {
        return granted(candidate);
    }
    ArbiterAnswer confirm(const FailoverTerm&, int candidate) override { return granted(candidate); }
    void release(const FailoverTerm&, int) override {}
    // Without a witness a crashed primary's repmgrd has nowhere to write: the
    // standbys' copies of the metadata are read-only replicas. The normal
    // confirmation (reconnect_attempts) applies.
    ArbiterAnswer report_crash(const FailoverTerm&, int) override {
        return ArbiterAnswer{ArbiterAnswer::Result::Unreachable, 0,
                             "no witness is registered: there is nowhere to report the crash"};
    }
    std::optional<CrashReport> read_crash_report() override { return std::nullopt; }
    int report_socket() override { return -1; }
    bool report_arrived() override { return false; }
    std::string write_zero_loss(const ZeroLossRecord&) override { return {}; }
    std::optional<ZeroLossRecord> read_zero_loss() override { return std::nullopt; }

private:
    static ArbiterAnswer granted(int candidate) {
        return ArbiterAnswer{ArbiterAnswer::Result::Granted, candidate, {}};
    }
};

}  // namespace repmgr::repmgrd
