#pragma once

#include <optional>
#include <vector>

#include "cluster/node_record.hpp"
#include "daemon/arbiter/arbiter.hpp"
#include "daemon/observe/links.hpp"

namespace repmgr::repmgrd {

// The failover claim as a row on the witness server (cluster/arbiter.hpp has
// the SQL and the life of a claim). The connection is kept between ticks.
class WitnessArbiter final : public Arbiter {
public:
    explicit WitnessArbiter(const Config& config) : config_(config) {}
    // The active witness among `nodes`, or none (then required() is false).
    void locate(const std::vector<NodeRecord>& nodes);
    const std::optional<NodeRecord>& witness() const { return witness_; }

    std::string_view name() const override { return "witness"; }
    bool required() const override { return witness_.has_value(); }
    ArbiterView read(const FailoverTerm& term) override;
    ArbiterAnswer claim(const FailoverTerm& term, int candidate, int confirm_within_s) override;
    ArbiterAnswer take_over(const FailoverTerm& term, int stale_holder, int candidate,
                            int confirm_within_s) override;
    ArbiterAnswer confirm(const FailoverTerm& term, int candidate) override;
    void release(const FailoverTerm& term, int candidate) override;
    ArbiterAnswer report_crash(const FailoverTerm& term, int reporter) override;
    std::optional<CrashReport> read_crash_report() override;
    int report_socket() override;
    bool report_arrived() override;
    std::string write_zero_loss(const ZeroLossRecord& record) override;
    std::optional<ZeroLossRecord> read_zero_loss() override;

private:
    Connection* connection();
    template <typename Call>
    ArbiterAnswer ask(Call&& call);

    const Config& config_;
    std::optional<NodeRecord> witness_;
    Link link_;
    bool listening_ = false;  // LISTEN ran on the current connection (read_crash_report)
};

}  // namespace repmgr::repmgrd
