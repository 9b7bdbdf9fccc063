#pragma once

#include "actions/context.hpp"
#include "daemon/arbiter/arbiters.hpp"
#include "daemon/decide/decide.hpp"
#include "daemon/observe/links.hpp"

namespace repmgr::repmgrd {

// Builds the snapshot of one tick. It connects (and reconnects) the links
// and reads, but writes nothing: every correction it finds is decide()'s to
// order. What it cannot see this tick it takes from the memory (the last
// known role and nodes, the pause flag, the primary's timeline).
class Observer {
public:
    Observer(Context& ctx, ServerLinks& links, Arbiters& arbiters)
        : ctx_(ctx), links_(links), arbiters_(arbiters) {}

    Snapshot observe(const Memory& memory, const Tuning& tuning);

private:
    // The records this tick works from: read from the local server, or the
    // memory's while it is down.
    struct Records {
        std::optional<NodeRecord> upstream;
        std::optional<NodeRecord> primary;  // the active primary in the metadata
    };

    void observe_local(Snapshot& s, const Memory& memory, Records& r);
    void observe_upstream(Snapshot& s, const Memory& memory, const Records& r);
    void observe_primary(Snapshot& s, const Memory& memory, Records& r);
    void observe_streaming_source(Snapshot& s, const Memory& memory, const Records& r);
    void find_primary_for_witness(const Snapshot& s, const Records& r);
    // observe_views.cpp: what failover and fencing need to see
    void observe_local_fence(Snapshot& s, const Memory& memory);
    void observe_crash_report(Snapshot& s, const Memory& memory, const Records& r);
    void observe_failover(Snapshot& s, const Memory& memory, const Records& r);
    void observe_primary_peers(Snapshot& s);
    // observe_demoted.cpp: a primary restarted as a standby by its fence
    void observe_demoted(Snapshot& s);
    // observe_zero_loss.cpp: synchronous mode and the lag bounds
    void observe_zero_loss(Snapshot& s);
    void zero_loss_election(const Snapshot& s, const Memory& memory, Connection& local,
                            ElectionInput& e);

    Context& ctx_;
    ServerLinks& links_;
    Arbiters& arbiters_;
};

}  // namespace repmgr::repmgrd
