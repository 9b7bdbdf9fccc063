#pragma once

// Who may promote is asked of an arbiter: the witness row is the first
// implementation, the null arbiter serves clusters without one, and a
// consensus store (etcd lease) can be another. decide() never talks to an
// arbiter: the observer reads it into the snapshot (ArbiterView), the effects
// claim, confirm, take over and release, and the outcome feeds the next tick.

#include <string>
#include <string_view>

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

private:
    static ArbiterAnswer granted(int candidate) {
        return ArbiterAnswer{ArbiterAnswer::Result::Granted, candidate, {}};
    }
};

}  // namespace repmgr::repmgrd
