#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/node_checks.hpp"

namespace repmgr {

// The verdicts of "repmgr node check", as pure functions of what the server
// and the metadata said (no I/O: unit-tested from fabricated facts).

// Nagios plugin exit codes.
enum class CheckStatus { Ok = 0, Warning = 1, Critical = 2, Unknown = 3 };
constexpr int nagios_exit_code(CheckStatus s) { return static_cast<int>(s); }

enum class CheckKind { Role, ReplicationLag, ArchiveReady, Downstream, Slots, Upstream, Etcd };

// Every check, in the order "node check" runs them without a selection
// (--etcd only with arbiter=etcd).
constexpr CheckKind kAllChecks[] = {CheckKind::Role,       CheckKind::ReplicationLag,
                                    CheckKind::ArchiveReady, CheckKind::Downstream,
                                    CheckKind::Slots,      CheckKind::Upstream,
                                    CheckKind::Etcd};

// arbiter=etcd: what its endpoints and the leader key said.
// A node's report of itself in etcd (P/nodes/<id>), written by its repmgrd
// every tick.
struct EtcdNodeReport {
    int node_id = 0;
    std::string role;
    std::optional<int> upstream;
    bool server_up = false;
    bool in_recovery = false;
    std::string reason;  // repmgrd's latest decision
    double age_s = 0;    // since it was written, by the reader's clock
};

struct EtcdFacts {
    int endpoints_total = 0;
    int endpoints_answering = 0;
    std::string first_error;     // of an endpoint that did not answer
    std::optional<int> leader;   // the node holding the leader key (nullopt: nobody)
    long long lease_left_s = -1; // seconds left on the key's lease (-1: unknown)
    std::vector<EtcdNodeReport> nodes;  // by node id
};

struct CheckThresholds {
    int lag_warning_s = 300;
    int lag_critical_s = 600;
    int archive_ready_warning = 16;
    int archive_ready_critical = 128;
};

struct CheckInputs {
    int node_id = 0;
    std::string node_name;  // application_name standbys stream with
    NodeServerFacts server;
    MetadataFacts meta;
    std::optional<UpstreamFacts> upstream;  // standbys: what the upstream says
    std::optional<EtcdFacts> etcd;          // arbiter=etcd only
    CheckThresholds thresholds;
};

struct CheckResult {
    CheckKind kind = CheckKind::Role;
    CheckStatus status = CheckStatus::Ok;
    std::string summary;   // "node is primary", "12 seconds behind ..."
    std::string perfdata;  // Nagios performance data, "" when none
};

std::string_view check_label(CheckKind kind);    // "Server role"
std::string_view nagios_name(CheckKind kind);    // "REPMGR_SERVER_ROLE"
std::string_view check_option(CheckKind kind);   // "--role"
std::string_view status_name(CheckStatus status);  // "OK", "WARNING", ...

CheckResult evaluate_check(CheckKind kind, const CheckInputs& in);

// Replication lag in bytes of a standby: the upstream's WAL end (when it
// could be read) or what this node received, minus what it replayed.
std::optional<long long> lag_bytes(const CheckInputs& in);

// The most severe status: CRITICAL, then WARNING, then UNKNOWN, then OK.
CheckStatus worst_status(std::span<const CheckResult> results);

// "REPMGR_SERVER_ROLE OK: node is primary | perfdata"
std::string nagios_line(const CheckResult& result);

// Nagios output for several checks: a summary first line (worst status,
// non-OK checks, all perfdata), then one line per check.
std::string nagios_report(std::span<const CheckResult> results);

}  // namespace repmgr
