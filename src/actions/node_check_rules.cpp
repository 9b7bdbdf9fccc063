#include "actions/node_check_rules.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace repmgr {
namespace {

CheckResult result(CheckKind kind, CheckStatus status, std::string summary,
                   std::string perfdata = {}) {
    return CheckResult{kind, status, std::move(summary), std::move(perfdata)};
}

std::string node_label(const NodeRecord& n) { return fmt::format("\"{}\" (ID: {})", n.name, n.id); }

std::string running_as(bool in_recovery) { return in_recovery ? "a standby" : "a primary"; }

// Threshold verdict shared by the numeric checks ("at or above" as repmgr does).
CheckStatus against(long long value, int warning, int critical) {
    if (value >= critical) return CheckStatus::Critical;
    if (value >= warning) return CheckStatus::Warning;
    return CheckStatus::Ok;
}

CheckResult check_role(const CheckInputs& in) {
    constexpr auto kind = CheckKind::Role;
    const bool rec = in.server.in_recovery;
    if (!in.meta.error.empty())
        return result(kind, CheckStatus::Unknown,
                      fmt::format("cannot read the repmgr metadata: {}", in.meta.error));
    if (!in.meta.self)
        return result(kind, CheckStatus::Unknown,
                      fmt::format("node {} is not registered; it runs as {}", in.node_id,
                                  running_as(rec)));
    const NodeRecord& self = *in.meta.self;
    bool expects_recovery = self.type == NodeType::Standby;
    if (expects_recovery != rec)
        return result(kind, CheckStatus::Critical,
                      fmt::format("node is registered as {} but is running as {}",
                                  node_role_label(self.type), running_as(rec)));
    if (!self.active)
        return result(kind, CheckStatus::Warning,
                      fmt::format("node is running as {} but is marked inactive in the metadata",
                                  node_role_label(self.type)));
    return result(kind, CheckStatus::Ok, fmt::format("node is {}", node_role_label(self.type)));
}

CheckResult check_lag(const CheckInputs& in) {
    constexpr auto kind = CheckKind::ReplicationLag;
    const auto& t = in.thresholds;
    if (!in.server.in_recovery)
        return result(kind, CheckStatus::Ok, "N/A - node is not a standby");
    auto bytes = lag_bytes(in);
    std::string bytes_text = bytes ? fmt::format("{} bytes", *bytes) : "bytes unknown";
    std::string perf_bytes = bytes ? fmt::format(" lag_bytes={}B", *bytes) : "";
    std::string paused = in.server.replay.paused ? "; WAL replay is paused" : "";
    if (!in.server.lag_seconds)
        return result(kind, CheckStatus::Unknown,
                      fmt::format("lag cannot be measured: WAL is not fully replayed and no "
                                  "transaction has been replayed since the server started ({}{})",
                                  bytes_text, paused),
                      perf_bytes.empty() ? "" : perf_bytes.substr(1));
    auto seconds = static_cast<long long>(std::floor(*in.server.lag_seconds));
    CheckStatus status = against(seconds, t.lag_warning_s, t.lag_critical_s);
    std::string limit;
    if (status == CheckStatus::Critical)
        limit = fmt::format("; critical at {} s", t.lag_critical_s);
    else if (status == CheckStatus::Warning)
        limit = fmt::format("; warning at {} s", t.lag_warning_s);
    return result(kind, status,
                  fmt::format("{} second(s) behind ({}){}{}", seconds, bytes_text, limit, paused),
                  fmt::format("lag={}s;{};{}{}", seconds, t.lag_warning_s, t.lag_critical_s,
                              perf_bytes));
}

CheckResult check_archive_ready(const CheckInputs& in) {
    constexpr auto kind = CheckKind::ArchiveReady;
    const auto& a = in.server.archive;
    const auto& t = in.thresholds;
    if (!a.ready_count)
        return result(kind, CheckStatus::Unknown,
                      fmt::format("cannot list pg_wal/archive_status (needs superuser or "
                                  "pg_monitor): {}",
                                  a.ready_error));
    long long ready = *a.ready_count;
    std::string perf = fmt::format("files={};{};{}", ready, t.archive_ready_warning,
                                   t.archive_ready_critical);
    if (a.archive_mode == "off" && ready == 0)
        return result(kind, CheckStatus::Ok, "WAL archiving is off (archive_mode)", perf);
    CheckStatus status = against(ready, t.archive_ready_warning, t.archive_ready_critical);
    std::string text = fmt::format("{} WAL file(s) waiting to be archived", ready);
    if (status == CheckStatus::Critical)
        text += fmt::format("; critical at {}", t.archive_ready_critical);
    else if (status == CheckStatus::Warning)
        text += fmt::format("; warning at {}", t.archive_ready_warning);
    if (a.failed_count > 0 && !a.last_failed_wal.empty())
        text += fmt::format("; archive_command failed {} time(s), last for {} at {}",
                            a.failed_count, a.last_failed_wal, a.last_failed_time);
    return result(kind, status, text, perf);
}

CheckResult check_downstream(const CheckInputs& in) {
    constexpr auto kind = CheckKind::Downstream;
    if (!in.meta.error.empty())
        return result(kind, CheckStatus::Unknown,
                      fmt::format("cannot read the repmgr metadata: {}", in.meta.error));
    std::vector<NodeRecord> expected = expected_downstream(in.meta, in.node_id);
    std::vector<std::string> missing;
    for (const auto& n : expected) {
        bool attached = std::any_of(in.server.downstream.begin(), in.server.downstream.end(),
                                    [&](const DownstreamFacts& d) {
                                        return d.application_name == n.name &&
                                               d.state == "streaming";
                                    });
        if (!attached) missing.push_back(node_label(n));
    }
    size_t attached = expected.size() - missing.size();
    std::string perf = fmt::format("attached={};;;0;{}", attached, expected.size());
    if (expected.empty())
        return result(kind, CheckStatus::Ok, "node has no downstream nodes", perf);
    if (missing.empty())
        return result(kind, CheckStatus::Ok,
                      fmt::format("{} of {} downstream node(s) attached", attached,
                                  expected.size()),
                      perf);
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    return result(kind, CheckStatus::Critical,
                  fmt::format("{} of {} downstream node(s) not attached: {}", missing.size(),
                              expected.size(), list),
                  perf);
}

CheckResult check_slots(const CheckInputs& in) {
    constexpr auto kind = CheckKind::Slots;
    const auto& slots = in.server.slots;
    std::vector<std::string> inactive;
    long long retained_by_inactive = 0;
    for (const auto& s : slots) {
        if (s.active) continue;
        retained_by_inactive += s.retained_bytes.value_or(0);
        inactive.push_back(s.retained_bytes
                               ? fmt::format("\"{}\" (retains {} bytes)", s.name, *s.retained_bytes)
                               : fmt::format("\"{}\"", s.name));
    }
    std::string perf = fmt::format("inactive={};;0;0;{} retained_inactive={}B", inactive.size(),
                                   slots.size(), retained_by_inactive);
    if (slots.empty()) return result(kind, CheckStatus::Ok, "node has no replication slots", perf);
    if (inactive.empty())
        return result(kind, CheckStatus::Ok,
                      fmt::format("{} of {} replication slot(s) active", slots.size(),
                                  slots.size()),
                      perf);
    std::string list;
    for (const auto& s : inactive) list += (list.empty() ? "" : ", ") + s;
    return result(kind, CheckStatus::Critical,
                  fmt::format("{} of {} replication slot(s) inactive: {}", inactive.size(),
                              slots.size(), list),
                  perf);
}

CheckResult check_upstream(const CheckInputs& in) {
    constexpr auto kind = CheckKind::Upstream;
    if (!in.server.in_recovery)
        return result(kind, CheckStatus::Ok, "N/A - node is not a standby");
    const auto& receiver = in.server.wal_receiver;
    if (!receiver)
        return result(kind, CheckStatus::Critical, "node is not streaming: no WAL receiver runs");
    if (receiver->status != "streaming")
        return result(kind, CheckStatus::Critical,
                      fmt::format("node is not streaming: the WAL receiver is {}",
                                  receiver->status));
    std::string source = receiver->sender_port
                             ? fmt::format("{}:{}", receiver->sender_host, *receiver->sender_port)
                             : receiver->sender_host;
    if (!in.upstream)
        return result(kind, CheckStatus::Warning,
                      fmt::format("node streams from {}, but the metadata records no upstream "
                                  "for it",
                                  source));
    const UpstreamFacts& up = *in.upstream;
    if (!up.reachable)
        return result(kind, CheckStatus::Critical,
                      fmt::format("upstream node {} is unreachable: {}", node_label(up.node),
                                  up.error));
    if (!up.streams_to_us)
        return result(kind, CheckStatus::Critical,
                      fmt::format("node streams from {}, not from its upstream node {} (no "
                                  "walsender there for application_name \"{}\")",
                                  source, node_label(up.node), in.node_name));
    return result(kind, CheckStatus::Ok,
                  fmt::format("streaming from upstream node {}", node_label(up.node)));
}

CheckResult check_etcd(const CheckInputs& in) {
    constexpr auto kind = CheckKind::Etcd;
    if (!in.etcd) return result(kind, CheckStatus::Ok, "N/A - the arbiter is not etcd");
    const EtcdFacts& e = *in.etcd;
    std::string perf = fmt::format("etcd_endpoints={};;;0;{}", e.endpoints_answering,
                                   e.endpoints_total);
    if (e.lease_left_s >= 0) perf += fmt::format(" etcd_lease_left={}s", e.lease_left_s);
    if (e.endpoints_answering == 0)
        return result(kind, CheckStatus::Critical,
                      fmt::format("none of the {} etcd endpoint(s) answers: {}", e.endpoints_total,
                                  e.first_error),
                      perf);
    std::string holder = e.leader ? fmt::format("node {} holds the leader key", *e.leader)
                                  : std::string("nobody holds the leader key");
    if (e.leader && e.lease_left_s >= 0) holder += fmt::format(" ({} s left on its lease)", e.lease_left_s);
    if (!in.server.in_recovery && e.leader != in.node_id)
        return result(kind, CheckStatus::Critical,
                      fmt::format("this node is a primary but {}: it must not take writes", holder),
                      perf);
    if (e.endpoints_answering < e.endpoints_total)
        return result(kind, CheckStatus::Warning,
                      fmt::format("{} of {} etcd endpoints answer ({}); {}", e.endpoints_answering,
                                  e.endpoints_total, e.first_error, holder),
                      perf);
    return result(kind, CheckStatus::Ok,
                  fmt::format("{} of {} etcd endpoints answer; {}", e.endpoints_answering,
                              e.endpoints_total, holder),
                  perf);
}

int severity(CheckStatus s) {
    switch (s) {
        case CheckStatus::Critical: return 3;
        case CheckStatus::Warning: return 2;
        case CheckStatus::Unknown: return 1;
        case CheckStatus::Ok: return 0;
    }
    return 0;
}

}  // namespace

std::string_view check_label(CheckKind kind) {
    switch (kind) {
        case CheckKind::Role: return "Server role";
        case CheckKind::ReplicationLag: return "Replication lag";
        case CheckKind::ArchiveReady: return "WAL archiving";
        case CheckKind::Downstream: return "Downstream servers";
        case CheckKind::Slots: return "Replication slots";
        case CheckKind::Upstream: return "Upstream connection";
        case CheckKind::Etcd: return "etcd arbiter";
    }
    return "?";
}

std::string_view nagios_name(CheckKind kind) {
    switch (kind) {
        case CheckKind::Role: return "REPMGR_SERVER_ROLE";
        case CheckKind::ReplicationLag: return "REPMGR_REPLICATION_LAG";
        case CheckKind::ArchiveReady: return "REPMGR_ARCHIVE_READY";
        case CheckKind::Downstream: return "REPMGR_DOWNSTREAM_SERVERS";
        case CheckKind::Slots: return "REPMGR_INACTIVE_SLOTS";
        case CheckKind::Upstream: return "REPMGR_UPSTREAM_SERVER";
        case CheckKind::Etcd: return "REPMGR_ETCD";
    }
    return "REPMGR_UNKNOWN";
}

std::string_view check_option(CheckKind kind) {
    switch (kind) {
        case CheckKind::Role: return "--role";
        case CheckKind::ReplicationLag: return "--replication-lag";
        case CheckKind::ArchiveReady: return "--archive-ready";
        case CheckKind::Downstream: return "--downstream";
        case CheckKind::Slots: return "--slots";
        case CheckKind::Upstream: return "--upstream";
        case CheckKind::Etcd: return "--etcd";
    }
    return "?";
}

std::string_view status_name(CheckStatus status) {
    switch (status) {
        case CheckStatus::Ok: return "OK";
        case CheckStatus::Warning: return "WARNING";
        case CheckStatus::Critical: return "CRITICAL";
        case CheckStatus::Unknown: return "UNKNOWN";
    }
    return "UNKNOWN";
}

std::optional<long long> lag_bytes(const CheckInputs& in) {
    if (!in.server.in_recovery) return std::nullopt;
    Lsn end = in.server.replay.receive;
    if (in.upstream && in.upstream->lsn) end = std::max(end, *in.upstream->lsn);
    Lsn replay = in.server.replay.replay;
    return end > replay ? static_cast<long long>(end - replay) : 0LL;
}

CheckResult evaluate_check(CheckKind kind, const CheckInputs& in) {
    switch (kind) {
        case CheckKind::Role: return check_role(in);
        case CheckKind::ReplicationLag: return check_lag(in);
        case CheckKind::ArchiveReady: return check_archive_ready(in);
        case CheckKind::Downstream: return check_downstream(in);
        case CheckKind::Slots: return check_slots(in);
        case CheckKind::Upstream: return check_upstream(in);
        case CheckKind::Etcd: return check_etcd(in);
    }
    return result(kind, CheckStatus::Unknown, "unknown check");
}

CheckStatus worst_status(std::span<const CheckResult> results) {
    CheckStatus worst = CheckStatus::Ok;
    for (const auto& r : results)
        if (severity(r.status) > severity(worst)) worst = r.status;
    return worst;
}

std::string nagios_line(const CheckResult& r) {
    std::string line = fmt::format("{} {}: {}", nagios_name(r.kind), status_name(r.status),
                                   r.summary);
    // '|' starts the performance data in Nagios output: keep it out of the text.
    std::replace(line.begin(), line.end(), '|', '/');
    if (!r.perfdata.empty()) line += " | " + r.perfdata;
    return line;
}

std::string nagios_report(std::span<const CheckResult> results) {
    if (results.size() == 1) return nagios_line(results.front()) + "\n";
    CheckStatus worst = worst_status(results);
    std::string problems, perf;
    for (const auto& r : results) {
        if (r.status != CheckStatus::Ok)
            problems += fmt::format("{}{}: {}", problems.empty() ? "" : "; ", check_label(r.kind),
                                    r.summary);
        if (!r.perfdata.empty()) perf += (perf.empty() ? "" : " ") + r.perfdata;
    }
    if (problems.empty()) problems = fmt::format("all {} checks passed", results.size());
    std::replace(problems.begin(), problems.end(), '|', '/');
    std::string out = fmt::format("REPMGR_NODE {}: {}", status_name(worst), problems);
    if (!perf.empty()) out += " | " + perf;
    out += "\n";
    for (const auto& r : results) {
        std::string line = nagios_line(r);
        // Long output lines carry no perfdata of their own (it is on line 1).
        if (auto bar = line.find(" | "); bar != std::string::npos) line.resize(bar);
        out += line + "\n";
    }
    return out;
}

}  // namespace repmgr
