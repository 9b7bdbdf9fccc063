#pragma once

// Every tick, beside decide(): what a lease arbiter (arbiter=etcd) needs
// from this node, whatever decide() makes of it (docs/etcd.md).
// - A writable primary renews its leader key; with etcd_failsafe, when etcd
//   does not answer, it reads the standbys' promises for decide().
// - Every node publishes its report (the node list cluster show reads); a
//   node in recovery gives up a key it still holds.
// - With etcd_failsafe, a standby that cannot reach etcd promises the
//   primary it streams from not to take the key for etcd_ttl seconds.

#include "actions/context.hpp"
#include "daemon/arbiter/arbiter.hpp"
#include "daemon/decide/decide.hpp"
#include "daemon/observe/links.hpp"

namespace repmgr::repmgrd {

class LeaseHeartbeat {
public:
    LeaseHeartbeat(Context& ctx, ServerLinks& links) : ctx_(ctx), links_(links) {}
    // Fills s.leadership and s.failsafe_promises.
    void beat(Arbiter& arbiter, Snapshot& s, const Memory& memory);

private:
    void promise_if_cut_off(Arbiter& arbiter, const Snapshot& s, const ArbiterAnswer& reported);

    Context& ctx_;
    ServerLinks& links_;
    int promised_to_ = 0;  // the primary this node promises to now (0: none)
};

}  // namespace repmgr::repmgrd
