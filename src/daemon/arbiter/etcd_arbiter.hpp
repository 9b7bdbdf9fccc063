#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include "config/config.hpp"
#include "daemon/arbiter/arbiter.hpp"
#include "db/etcd.hpp"

namespace repmgr::repmgrd {

// The arbiter as keys in etcd (arbiter=etcd; docs/etcd.md), under the
// cluster's prefix P:
//   P/leader               the node id of the primary, on its lease (etcd_ttl):
//                          renewed every tick by the primary's repmgrd
//   P/term/<failed>/<tl>   a failover term's claim: {"holder", "confirmed",
//                          "passed_over"}; permanent once confirmed
//   P/term/<failed>/<tl>/live   the unconfirmed claim's deadline: a key on a
//                          lease of confirm_within_s; gone = expired
//   P/crash                the newest crash report of a primary's repmgrd
//   P/zero_loss            the copy of the zero-loss candidates
//   P/nodes/<id>           each node's report of itself, every tick (NodeReport)
// A standby may claim a term only while nobody holds the leader key (or it
// does), and takes the key in the same transaction: the old primary fenced
// itself before its lease could expire. Confirmation needs both the claim
// and the key, so a node that lost either never promotes.
class EtcdArbiter final : public Arbiter {
public:
    explicit EtcdArbiter(const Config& config);

    std::string_view name() const override { return "etcd"; }
    bool required() const override { return true; }
    ArbiterView read(const FailoverTerm& term) override;
    ArbiterAnswer claim(const FailoverTerm& term, int candidate, int confirm_within_s) override;
    ArbiterAnswer take_over(const FailoverTerm& term, int stale_holder, int candidate,
                            int confirm_within_s) override;
    ArbiterAnswer confirm(const FailoverTerm& term, int candidate) override;
    void release(const FailoverTerm& term, int candidate) override;
    ArbiterAnswer report_crash(const FailoverTerm& term, int reporter) override;
    std::optional<CrashReport> read_crash_report() override;
    int report_socket() override { return -1; }  // no push: read at every reconnect attempt
    bool report_arrived() override { return false; }
    std::string write_zero_loss(const ZeroLossRecord& record) override;
    std::optional<ZeroLossRecord> read_zero_loss() override;
    Leadership hold_leadership(int node_id, bool may_acquire) override;
    ArbiterAnswer report_node(const NodeReport& report) override;
    void promise_no_claim(std::chrono::seconds seconds) override;

private:
    struct TermState;
    TermState read_state(const FailoverTerm& term);
    template <typename Call>
    ArbiterAnswer ask(Call&& call);
    std::string term_key(const FailoverTerm& term) const;
    std::string leader_key() const { return prefix_ + "leader"; }
    // etcd_failsafe: a claim now would break a promise made to the primary.
    std::optional<ArbiterAnswer> promised_not_to_claim() const;

    const Config& config_;
    std::string prefix_;
    EtcdClient client_;
    // etcd_failsafe: no claim before this instant. A repmgrd that starts may
    // have promised before it restarted, so it starts with a full promise.
    std::chrono::steady_clock::time_point no_claim_until_{};
};

}  // namespace repmgr::repmgrd
