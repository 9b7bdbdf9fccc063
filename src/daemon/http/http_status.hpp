#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/http/cluster_status.hpp"

namespace repmgr::repmgrd {

// What repmgrd's HTTP endpoints report. The monitor thread builds one after
// every tick and publishes it; the HTTP thread only ever reads published
// copies, never the monitor's database connections.

struct PublishedEvent {
    std::string event;
    bool successful = true;
    std::string details;
    std::chrono::system_clock::time_point at{};
};

// A standby of this primary as pg_stat_replication shows it (synchronous=on|strict).
struct SyncStandbyStatus {
    int node_id = 0;
    std::string name;
    std::string sync_state;  // sync | potential | quorum | async | "" (not streaming)
};

struct DaemonStatus {
    int node_id = 0;
    std::string node_name;
    std::string role = "unknown";  // primary | standby | witness | unknown (from repl_nodes)
    std::optional<int> upstream_id;
    std::string upstream_name;
    bool upstream_reachable = false;
    bool local_reachable = false;  // the local PostgreSQL answered this tick
    std::string local_error;       // why it did not
    bool in_recovery = false;
    bool streaming = false;        // standby: the WAL receiver streams from its upstream
    // This node is the registered primary, answers writable, and repmgrd sees
    // no reason to doubt it (no split brain, no isolation, no read-only fence).
    bool legitimate_primary = false;
    std::string not_legitimate_because;  // a sentence when a primary is not legitimate
    bool fenced = false;  // the read-only fence (default_transaction_read_only) is in force
    std::string state = "monitoring";   // repmgrd's state machine
    std::string reason;                 // the sentence of its last decision
    bool paused = false;
    std::optional<std::string> primary_lsn;
    std::optional<std::string> received_lsn;
    std::optional<std::string> replayed_lsn;
    std::optional<std::int64_t> lag_bytes;  // standby: primary's current LSN - replayed
    std::optional<double> lag_seconds;      // standby: 0 when all received WAL is replayed
    int timeline = 0;                       // 0 = unknown
    int lag_warning_s = 0;   // replication_lag_warning / _critical: the thresholds alerts use
    int lag_critical_s = 0;
    std::int64_t failovers = 0;  // failovers this repmgrd completed (promoted or followed)
    std::chrono::system_clock::time_point checked_at{};
    std::vector<PublishedEvent> last_events;  // newest last
    std::string synchronous = "off";          // the synchronous setting
    std::vector<SyncStandbyStatus> sync_standbys;        // primary with synchronous=on|strict
    std::optional<std::vector<int>> zero_loss_candidates;  // as recorded on the primary
    // arbiter=etcd, primary: the leader lease as its renewals went
    struct Lease {
        bool held = false;             // held and renewed at the last tick
        std::optional<std::chrono::system_clock::time_point> renewed_at;  // last success
        std::int64_t renew_failures = 0;  // renewals that failed since repmgrd started
    };
    std::optional<Lease> lease;
    ClusterStatus cluster;  // for the status page
};

// The latest published status, shared between the two threads.
class StatusBoard {
public:
    void publish(DaemonStatus status);
    // nullptr until the first tick has been published.
    std::shared_ptr<const DaemonStatus> latest() const;

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const DaemonStatus> latest_;
};

struct HttpAnswer {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // beyond the content type
};

using QueryParams = std::multimap<std::string, std::string>;

// The answer to GET `path` with `params`, given the latest status (nullptr
// before the first tick) and the current wall-clock time. Pure but for the
// random CSP nonce of the status page (GET /).
HttpAnswer answer_request(std::string_view path, const QueryParams& params,
                          const DaemonStatus* status, std::chrono::system_clock::time_point now);

// The pieces, for tests.
HttpAnswer answer_health(const DaemonStatus* status);
HttpAnswer answer_primary(const DaemonStatus* status);
HttpAnswer answer_replica(const DaemonStatus* status, const QueryParams& params);
std::string render_status_json(const DaemonStatus& status,
                               std::chrono::system_clock::time_point now);
std::string render_metrics(const DaemonStatus* status, std::chrono::system_clock::time_point now);
// GET /status/cluster: the status page's data (cluster_json.cpp).
std::string render_cluster_json(const DaemonStatus& status,
                                std::chrono::system_clock::time_point now);
// GET /: the status page itself (status_page.cpp), with a fresh CSP nonce;
// the second form takes the nonce, for tests.
HttpAnswer answer_status_page();
HttpAnswer answer_status_page(const std::string& nonce);

// "16/B374D848" - "16/B3000000" in bytes; nullopt when either is malformed.
std::optional<std::int64_t> lsn_distance(std::string_view ahead, std::string_view behind);

}  // namespace repmgr::repmgrd
