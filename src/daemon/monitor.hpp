#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actions/context.hpp"
#include "cluster/nodes.hpp"
#include "daemon/decide.hpp"
#include "daemon/http_server.hpp"
#include "daemon/links.hpp"
#include "daemon/options.hpp"
#include "daemon/process.hpp"

namespace repmgr::repmgrd {

// repmgrd's main loop: every tick observe -> decide -> act, then sleep until
// the next tick or a signal. One process, one thread, connections kept open.
class Monitor {
public:
    Monitor(Context& ctx, DaemonOptions options);
    // Runs until SIGTERM/SIGINT; returns the exit code.
    int run();

private:
    enum class PrimaryVia { None, Local, Upstream, Own };

    Snapshot observe();
    void observe_local(Snapshot& s);
    void observe_upstream(Snapshot& s);
    void observe_primary(Snapshot& s);
    // failover_monitor.cpp: what failover and fencing need to see, and their effects
    void observe_failover(Snapshot& s);
    void observe_primary_peers(Snapshot& s);
    void observe_local_fence(Snapshot& s);
    void pre_fence(const Action& a);
    void record_own_promotion(const Action& a);
    void find_primary_for_witness();
    void promote_self(const Snapshot& s, const Action& a);
    void follow(const Snapshot& s, const Action& a);
    void fence_primary(const Snapshot& s, const Action& a);
    bool follow_by_rewind(int leader, const std::string& why);
    bool stop_local_server(const std::string& data_directory, const char* why);
    bool rejoin_with_rewind(const NodeRecord& upstream, const std::string& data_directory,
                            const char* why);
    void read_only_fence(const Snapshot& s, const Action& a);
    void record_on(int node_id, const Action& a);
    std::vector<NodeRecord> local_nodes();
    void act(const Snapshot& s, const Step& step);
    void run_action(const Snapshot& s, const Action& a);
    void log_step(const Step& step);
    void reload();
    void shutdown();
    // http_publish.cpp: the HTTP endpoints (only with http_port/http_listen_address)
    bool http_enabled() const;
    void start_http();
    void stop_http();
    void publish_status(const Snapshot& s, const Step& step, State before);

    Connection* primary();
    void reconcile_upstream(const Snapshot& s);
    Link* primary_link();
    LinkSettings link_settings() const;
    Tuning tuning() const;

    Context& ctx_;
    DaemonOptions options_;
    SignalPipe signals_;
    Memory memory_;
    std::string last_reason_;

    Link local_;
    Link upstream_;
    Link primary_own_;  // when the primary is neither this node nor its upstream
    PrimaryVia primary_via_ = PrimaryVia::None;

    NodeRole role_ = NodeRole::Unknown;  // last known, kept while the local server is down
    std::optional<NodeRecord> upstream_record_;
    std::optional<NodeRecord> primary_record_;
    Positions positions_;

    bool paused_ = false;               // last read from the primary; kept while it is gone
    int upstream_timeline_ = 0;         // the primary's timeline, read while it answered
    std::optional<int> upstream_timeline_of_;
    Link witness_;                      // during a failover: the arbiter
    std::vector<NodeRecord> known_nodes_;  // last repl_nodes read from the local server

    StatusBoard status_board_;             // what the HTTP thread reads
    std::unique_ptr<HttpServer> http_;     // after the board: stopped before the board goes
    std::int64_t failovers_ = 0;
    std::deque<PublishedEvent> recent_events_;
};

}  // namespace repmgr::repmgrd
