#include "daemon/http/http_status.hpp"

#include <charconv>
#include <cmath>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cluster/replication.hpp"
#include "util/json_text.hpp"
#include "util/mask.hpp"

namespace repmgr::repmgrd {
namespace {

using SystemClock = std::chrono::system_clock;

HttpAnswer text_answer(int status, std::string body) {
    return HttpAnswer{status, "text/plain; charset=utf-8", std::move(body) + "\n", {}};
}

HttpAnswer not_yet() {
    return text_answer(503, "repmgrd has not completed its first check yet");
}

std::string node_label(const DaemonStatus& s) {
    return fmt::format("node {} (\"{}\")", s.node_id, s.node_name);
}

// A query parameter that must be a non-negative number; `bad` says why not.
template <typename Number>
std::optional<Number> number_param(const QueryParams& params, const std::string& name,
                                   std::string& bad) {
    auto it = params.find(name);
    if (it == params.end()) return std::nullopt;
    const std::string& text = it->second;
    Number value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < 0 ||
        !std::isfinite(static_cast<double>(value))) {
        bad = fmt::format("{}=\"{}\" is not a non-negative number", name, text);
        return std::nullopt;
    }
    return value;
}

double age_seconds(const DaemonStatus& s, SystemClock::time_point now) {
    return std::max(0.0, std::chrono::duration<double>(now - s.checked_at).count());
}

std::string iso_time(SystemClock::time_point t) {
    return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", std::chrono::floor<std::chrono::seconds>(t));
}

// Prometheus label values escape backslash, double quote and newline.
std::string label_value(std::string_view v) {
    std::string out;
    for (char c : v) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

std::string sample_value(double v) {
    if (std::floor(v) == v && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<long long>(v));
    return fmt::format("{:.3f}", v);
}

class Exposition {
public:
    void family(std::string_view name, std::string_view type, std::string_view help) {
        text_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    }
    void sample(std::string_view name, double value, std::string_view labels = {}) {
        if (labels.empty())
            text_ += fmt::format("{} {}\n", name, sample_value(value));
        else
            text_ += fmt::format("{}{{{}}} {}\n", name, labels, sample_value(value));
    }
    std::string take() { return std::move(text_); }

private:
    std::string text_;
};

}  // namespace

void StatusBoard::publish(DaemonStatus status) {
    auto fresh = std::make_shared<const DaemonStatus>(std::move(status));
    std::lock_guard lock(mutex_);
    latest_ = std::move(fresh);
}

std::shared_ptr<const DaemonStatus> StatusBoard::latest() const {
    std::lock_guard lock(mutex_);
    return latest_;
}

std::optional<std::int64_t> lsn_distance(std::string_view ahead, std::string_view behind) {
    auto a = parse_lsn(ahead);
    auto b = parse_lsn(behind);
    if (!a || !b) return std::nullopt;
    return *a >= *b ? static_cast<std::int64_t>(*a - *b) : -static_cast<std::int64_t>(*b - *a);
}

HttpAnswer answer_health(const DaemonStatus* s) {
    if (!s) return not_yet();
    // libpq's message may quote the conninfo, password included, and /health
    // is the endpoint with the widest audience: mask before it leaves.
    if (!s->local_reachable)
        return text_answer(503, fmt::format("DOWN: the PostgreSQL server of {} does not answer: {}",
                                            node_label(*s), mask_passwords(s->local_error)));
    return text_answer(200, fmt::format("OK: the PostgreSQL server of {} answers", node_label(*s)));
}

HttpAnswer answer_primary(const DaemonStatus* s) {
    if (!s) return not_yet();
    if (s->legitimate_primary)
        return text_answer(200, fmt::format("OK: {} is the writable primary", node_label(*s)));
    std::string why = !s->local_reachable       ? "its PostgreSQL server does not answer"
                      : s->in_recovery           ? "it is in recovery (a standby)"
                      : s->role != "primary"     ? fmt::format("it is registered as {}", s->role)
                      : !s->not_legitimate_because.empty() ? mask_passwords(s->not_legitimate_because)
                                                           : "repmgrd does not consider it the primary";
    return text_answer(503, fmt::format("NOT PRIMARY: {}: {}", node_label(*s), why));
}

HttpAnswer answer_replica(const DaemonStatus* s, const QueryParams& params) {
    std::string bad;
    auto max_bytes = number_param<long long>(params, "max_lag_bytes", bad);
    auto max_seconds = number_param<double>(params, "max_lag_s", bad);
    if (!bad.empty()) return text_answer(400, fmt::format("bad request: {}", bad));
    if (!s) return not_yet();
    if (!s->local_reachable)
        return text_answer(503, fmt::format("NOT REPLICA: the PostgreSQL server of {} does not answer",
                                            node_label(*s)));
    if (!s->in_recovery)
        return text_answer(503, fmt::format("NOT REPLICA: {} is not in recovery", node_label(*s)));
    if (!s->streaming)
        return text_answer(503, fmt::format("NOT REPLICA: {} is not streaming from an upstream",
                                            node_label(*s)));
    if (max_bytes) {
        if (!s->lag_bytes)
            return text_answer(503, fmt::format("LAGGING: the lag of {} in bytes is unknown "
                                                "(the primary's position could not be read)",
                                                node_label(*s)));
        if (*s->lag_bytes > *max_bytes)
            return text_answer(503, fmt::format("LAGGING: {} is {} bytes behind (max_lag_bytes={})",
                                                node_label(*s), *s->lag_bytes, *max_bytes));
    }
    if (max_seconds) {
        if (!s->lag_seconds)
            return text_answer(503, fmt::format("LAGGING: the lag of {} in seconds is unknown",
                                                node_label(*s)));
        if (*s->lag_seconds > *max_seconds)
            return text_answer(503, fmt::format("LAGGING: {} is {:.1f} s behind (max_lag_s={})",
                                                node_label(*s), *s->lag_seconds, *max_seconds));
    }
    return text_answer(200, fmt::format("OK: {} is a streaming standby", node_label(*s)));
}

std::string render_status_json(const DaemonStatus& s, SystemClock::time_point now) {
    using nlohmann::json;
    json events = json::array();
    for (const auto& e : s.last_events)
        events.push_back({{"event", e.event}, {"successful", e.successful},
                          {"details", mask_passwords(e.details)}, {"time", iso_time(e.at)}});
    json j = {
        {"node_id", s.node_id},
        {"node_name", s.node_name},
        {"role", s.role},
        {"upstream", s.upstream_id ? json{{"node_id", *s.upstream_id},
                                          {"node_name", s.upstream_name},
                                          {"reachable", s.upstream_reachable}}
                                   : json(nullptr)},
        {"server", {{"reachable", s.local_reachable},
                    {"error", s.local_reachable ? json(nullptr) : json(mask_passwords(s.local_error))},
                    {"in_recovery", s.in_recovery},
                    {"streaming", s.streaming},
                    {"timeline", s.timeline ? json(s.timeline) : json(nullptr)}}},
        {"legitimate_primary", s.legitimate_primary},
        {"lsn", {{"primary", json_or_null(s.primary_lsn)},
                 {"received", json_or_null(s.received_lsn)},
                 {"replayed", json_or_null(s.replayed_lsn)}}},
        {"lag", {{"bytes", json_or_null(s.lag_bytes)}, {"seconds", json_or_null(s.lag_seconds)}}},
        {"repmgrd", {{"state", s.state},
                     {"reason", mask_passwords(s.reason)},
                     {"paused", s.paused},
                     {"failovers", s.failovers},
                     {"last_check", iso_time(s.checked_at)},
                     {"last_check_age_seconds", age_seconds(s, now)}}},
        {"last_events", events},
    };
    json standbys = json::array();
    for (const auto& sb : s.sync_standbys)
        standbys.push_back({{"node_id", sb.node_id}, {"node_name", sb.name},
                            {"sync_state", sb.sync_state.empty() ? json(nullptr) : json(sb.sync_state)}});
    j["synchronous"] = {{"mode", s.synchronous},
                        {"standbys", standbys},
                        {"zero_loss_candidates", json_or_null(s.zero_loss_candidates)}};
    return json_text(j) + "\n";
}

std::string render_metrics(const DaemonStatus* s, SystemClock::time_point now) {
    Exposition m;
    m.family("repmgr_up", "gauge", "1 when the local PostgreSQL server answered the last check");
    m.sample("repmgr_up", s && s->local_reachable ? 1 : 0);
    if (!s) return m.take();  // nothing else is known before the first tick

    m.family("repmgr_role", "gauge", "the node's registered role (1 for the current one)");
    for (std::string_view role : {"primary", "standby", "witness", "unknown"})
        m.sample("repmgr_role", s->role == role ? 1 : 0, fmt::format("role=\"{}\"", role));
    m.family("repmgr_legitimate_primary", "gauge",
             "1 on the writable primary repmgrd considers legitimate");
    m.sample("repmgr_legitimate_primary", s->legitimate_primary ? 1 : 0);
    m.family("repmgr_fenced", "gauge",
             "1 when repmgrd's read-only fence (default_transaction_read_only) is in force here");
    m.sample("repmgr_fenced", s->fenced ? 1 : 0);
    m.family("repmgr_in_recovery", "gauge", "1 when the local server is in recovery");
    m.sample("repmgr_in_recovery", s->in_recovery ? 1 : 0);
    m.family("repmgr_streaming", "gauge", "1 when this standby streams WAL from its upstream");
    m.sample("repmgr_streaming", s->streaming ? 1 : 0);
    m.family("repmgr_replication_lag_bytes", "gauge",
             "bytes of WAL the primary has written that this standby has not replayed");
    if (s->lag_bytes) m.sample("repmgr_replication_lag_bytes", static_cast<double>(*s->lag_bytes));
    m.family("repmgr_replication_lag_seconds", "gauge",
             "age of the last replayed transaction while WAL waits to be replayed (0 when caught up)");
    if (s->lag_seconds) m.sample("repmgr_replication_lag_seconds", *s->lag_seconds);
    m.family("repmgr_replication_lag_warning_seconds", "gauge",
             "replication_lag_warning: the lag the alerting rules warn about");
    m.sample("repmgr_replication_lag_warning_seconds", s->lag_warning_s);
    m.family("repmgr_replication_lag_critical_seconds", "gauge",
             "replication_lag_critical: the lag the alerting rules page about");
    m.sample("repmgr_replication_lag_critical_seconds", s->lag_critical_s);
    m.family("repmgr_timeline", "gauge", "the timeline the local server is on");
    if (s->timeline) m.sample("repmgr_timeline", s->timeline);
    m.family("repmgr_failovers_total", "counter",
             "failovers this repmgrd completed (promoted this node or followed a new primary)");
    m.sample("repmgr_failovers_total", static_cast<double>(s->failovers));
    m.family("repmgr_synchronous_standby", "gauge",
             "primary with synchronous=on|strict: 1 for each standby pg_stat_replication shows "
             "as synchronous (sync_state sync or quorum), 0 for the others");
    for (const auto& sb : s->sync_standbys)
        m.sample("repmgr_synchronous_standby",
                 sb.sync_state == "sync" || sb.sync_state == "quorum" ? 1 : 0,
                 fmt::format("node_id=\"{}\",node_name=\"{}\"", sb.node_id, label_value(sb.name)));
    m.family("repmgr_zero_loss_candidate", "gauge",
             "1 for each node recorded as a zero-loss candidate (may have acknowledged commits)");
    if (s->zero_loss_candidates)
        for (int id : *s->zero_loss_candidates)
            m.sample("repmgr_zero_loss_candidate", 1, fmt::format("node_id=\"{}\"", id));
    m.family("repmgr_leader_lease_held", "gauge",
             "arbiter=etcd, primary: 1 when it holds the leader key and renewed it at the last check");
    m.family("repmgr_leader_lease_age_seconds", "gauge",
             "arbiter=etcd, primary: seconds since the leader lease was last renewed");
    m.family("repmgr_leader_lease_renew_failures_total", "counter",
             "arbiter=etcd, primary: renewals of the leader lease that failed");
    if (s->lease) {
        m.sample("repmgr_leader_lease_held", s->lease->held ? 1 : 0);
        if (s->lease->renewed_at)
            m.sample("repmgr_leader_lease_age_seconds",
                     std::max(0.0, std::chrono::duration<double>(now - *s->lease->renewed_at).count()));
        m.sample("repmgr_leader_lease_renew_failures_total",
                 static_cast<double>(s->lease->renew_failures));
    }
    m.family("repmgr_paused", "gauge", "1 while \"repmgr daemon pause\" is in effect");
    m.sample("repmgr_paused", s->paused ? 1 : 0);
    m.family("repmgr_daemon_state", "gauge", "repmgrd's current state (1 for the current one)");
    m.sample("repmgr_daemon_state", 1, fmt::format("state=\"{}\"", label_value(s->state)));
    m.family("repmgr_last_check_age_seconds", "gauge", "seconds since repmgrd's last check");
    m.sample("repmgr_last_check_age_seconds", age_seconds(*s, now));
    return m.take();
}

HttpAnswer answer_request(std::string_view path, const QueryParams& params,
                          const DaemonStatus* status, SystemClock::time_point now) {
    if (path == "/health") return answer_health(status);
    if (path == "/primary") return answer_primary(status);
    if (path == "/replica") return answer_replica(status, params);
    if (path == "/status") {
        if (!status) return not_yet();
        return HttpAnswer{200, "application/json", render_status_json(*status, now), {}};
    }
    if (path == "/" || path == "/index.html") return answer_status_page();
    if (path == "/status/cluster") {
        if (!status) return not_yet();
        return HttpAnswer{200, "application/json", render_cluster_json(*status, now), {}};
    }
    if (path == "/metrics")
        return HttpAnswer{200, "text/plain; version=0.0.4; charset=utf-8",
                          render_metrics(status, now), {}};
    return text_answer(404, "not found; endpoints: / (status page) /health /primary /replica /status "
                            "/status/cluster /metrics");
}

}  // namespace repmgr::repmgrd
