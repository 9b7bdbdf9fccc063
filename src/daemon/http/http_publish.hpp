#pragma once

#include <cstdint>
#include <deque>
#include <memory>

#include "actions/context.hpp"
#include "daemon/decide/decide.hpp"
#include "daemon/http/http_server.hpp"
#include "daemon/http/http_status.hpp"
#include "daemon/observe/links.hpp"

namespace repmgr::repmgrd {

// The daemon's side of the HTTP endpoints: after every tick it condenses
// what it saw into an immutable DaemonStatus and publishes it for the HTTP
// thread. Only with http_port and http_listen_address set; otherwise nothing
// here runs and no extra query is sent.
class StatusPublisher {
public:
    StatusPublisher(Context& ctx, ServerLinks& links) : ctx_(ctx), links_(links) {}
    void start();
    void stop();
    void publish(const Snapshot& s, const Step& step, State before);

private:
    bool enabled() const;
    // The status page's view of the cluster, into d.cluster.
    void publish_cluster(const Snapshot& s, DaemonStatus& d);

    Context& ctx_;
    ServerLinks& links_;
    StatusBoard board_;
    std::unique_ptr<HttpServer> server_;  // after the board: stopped before the board goes
    std::int64_t failovers_ = 0;
    DaemonStatus::Lease lease_;  // arbiter=etcd: renewals of the leader lease so far
    std::deque<PublishedEvent> recent_events_;
};

}  // namespace repmgr::repmgrd
