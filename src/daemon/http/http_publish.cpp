#include "daemon/http/http_publish.hpp"

#include <fmt/format.h>

#include "cluster/arbiter.hpp"
#include "cluster/history.hpp"
#include "cluster/overview.hpp"
#include "daemon/http/cluster_view.hpp"
#include "util/error.hpp"

namespace repmgr::repmgrd {
namespace {

constexpr std::size_t kRecentEvents = 10;

// A WAL receiver in state "streaming" counts however long ago its last
// message came: an idle primary sends nothing for long stretches.
constexpr int kAnyMessageAge = 1'000'000'000;

// Why this node, if it runs as a writable primary, should not get writes.
std::string doubt_about_primary(const Snapshot& s, State state,
                                const std::optional<NodeRecord>& active_primary) {
    if (!active_primary || active_primary->id != s.node_id)
        return active_primary ? fmt::format("the metadata names node {} as the active primary",
                                            active_primary->id)
                              : "the metadata names no active primary";
    if (state == State::SplitBrain) return "split brain: another node is primary on a newer timeline";
    if (state == State::Isolated) return "isolated: no majority visible";
    if (s.local_fenced || (s.primary_view && s.primary_view->fenced_read_only))
        return "fenced read-only (default_transaction_read_only)";
    if (s.primary_view && s.primary_view->rival_id)
        return fmt::format("node {} runs as primary on a newer timeline", *s.primary_view->rival_id);
    if (s.primary_elsewhere)
        return fmt::format("node {} answers as the writable primary", *s.primary_elsewhere);
    return "";
}

}  // namespace

void StatusPublisher::publish_cluster(const Snapshot& s, DaemonStatus& d) {
    // The status page's one extra statement per tick, on the local server:
    // the metadata as this node has it (a standby's replicated copy).
    std::optional<ClusterOverview> overview;
    std::string error;
    if (Connection* local = s.local.reachable ? links_.local.current() : nullptr) {
        try {
            overview = read_cluster_overview(*local, static_cast<int>(kRecentEvents));
        } catch (const Failure& f) {
            error = failure_text(f);
            ctx_.log.debug("unable to read the cluster overview for HTTP: {}", error);
        }
    } else {
        error = "the local server does not answer";
    }
    std::optional<int> primary_link;
    if (s.primary_writable && links_.primary_record) primary_link = links_.primary_record->id;
    d.cluster = build_cluster_status(s, d, overview ? &*overview : nullptr, primary_link);
    d.cluster.overview_error = error;
}

bool StatusPublisher::enabled() const {
    return ctx_.config.http_port > 0 && !ctx_.config.http_listen_address.empty();
}

void StatusPublisher::start() {
    if (!enabled()) return;
    const Config& c = ctx_.config;
    HttpSettings settings{c.http_listen_address, c.http_port, c.http_tls_cert, c.http_tls_key, {}};
    std::string bad;  // the configuration loader has already refused a bad list
    if (auto allowed = ClientAllowList::parse(c.http_allowed_clients, bad))
        settings.allowed = std::move(*allowed);
    else
        fail(ExitCode::BadConfig, fmt::format("http_allowed_clients has a bad entry: {}", bad));
    server_ = std::make_unique<HttpServer>(board_);
    server_->start(settings);
    ctx_.log.notice("serving {} on {}:{} (/ /health /primary /replica /status /metrics){}",
                    c.http_tls_cert.empty() ? "HTTP" : "HTTPS", c.http_listen_address,
                    c.http_port,
                    settings.allowed.allows_everyone()
                        ? ""
                        : fmt::format(" for {} only", c.http_allowed_clients));
}

void StatusPublisher::stop() {
    if (server_) server_->stop();
}

void StatusPublisher::publish(const Snapshot& s, const Step& step, State before) {
    State after = step.next.state;
    if ((before == State::Promoting || before == State::Following) && after == State::Monitoring)
        ++failovers_;
    for (const auto& a : step.actions) {
        if (a.kind != ActionKind::RecordEvent) continue;
        recent_events_.push_back(
            PublishedEvent{a.event, a.successful, a.details, std::chrono::system_clock::now()});
        if (recent_events_.size() > kRecentEvents) recent_events_.pop_front();
    }
    if (s.leadership) {
        lease_.held = s.leadership->held;
        if (s.leadership->held)
            lease_.renewed_at = std::chrono::system_clock::now();
        else
            ++lease_.renew_failures;
    }
    if (!server_) return;

    DaemonStatus d;
    d.node_id = s.node_id;
    d.node_name = ctx_.config.node_name;
    d.role = std::string(role_name(s.role));
    d.upstream_id = s.upstream_id;
    if (s.upstream_id)
        for (const auto& n : s.nodes)
            if (n.id == *s.upstream_id) d.upstream_name = n.name;
    d.upstream_reachable = s.upstream.reachable;
    d.local_reachable = s.local.reachable;
    d.local_error = s.local.error;
    d.in_recovery = s.local.in_recovery;
    d.state = std::string(state_name(after));
    d.paused = s.paused;
    d.reason = step.reason;
    d.primary_lsn = s.positions.primary_lsn;
    d.received_lsn = s.positions.received_lsn;
    d.replayed_lsn = s.positions.replayed_lsn;
    if (d.in_recovery && d.primary_lsn && d.replayed_lsn)
        d.lag_bytes = std::max<std::int64_t>(0, lsn_distance(*d.primary_lsn, *d.replayed_lsn).value_or(0));
    d.failovers = failovers_;
    d.last_events.assign(recent_events_.begin(), recent_events_.end());

    if (Connection* local = s.local.reachable ? links_.local.current() : nullptr) {
        try {
            PeerState peer = read_peer_state(*local, kAnyMessageAge);
            d.streaming = peer.in_recovery && peer.streaming;
            if (peer.in_recovery) {
                d.timeline = standby_timeline(*local);
                MonitorSample sample;
                read_apply_delay(*local, sample);
                d.lag_seconds = sample.apply_lag_seconds;
            } else {
                d.timeline = peer.timeline;
            }
        } catch (const Failure& f) {
            // The next tick notices a lost connection; report what is known.
            ctx_.log.debug("unable to read status details for HTTP: {}", failure_text(f));
        }
    }
    d.fenced = s.local_fenced || (s.primary_view && s.primary_view->fenced_read_only);
    d.lag_warning_s = ctx_.config.replication_lag_warning;
    d.lag_critical_s = ctx_.config.replication_lag_critical;
    if (s.role == NodeRole::Primary && s.local.reachable && !s.local.in_recovery) {
        d.not_legitimate_because = doubt_about_primary(s, after, links_.primary_record);
        d.legitimate_primary = d.not_legitimate_because.empty();
    }
    d.synchronous = s.tuning.synchronous == SyncMode::On       ? "on"
                    : s.tuning.synchronous == SyncMode::Strict ? "strict"
                                                               : "off";
    if (s.zero_loss) {
        for (const auto& sb : s.zero_loss->standbys)
            d.sync_standbys.push_back({sb.node_id, sb.name, sb.sync_state});
        d.zero_loss_candidates = s.zero_loss->record;
    }
    if (s.leadership) d.lease = lease_;
    publish_cluster(s, d);
    d.checked_at = std::chrono::system_clock::now();
    board_.publish(std::move(d));
}

}  // namespace repmgr::repmgrd
