// Zero data loss effects: the record of zero-loss candidates and
// synchronous_standby_names. decide/zero_loss.hpp orders them; each is
// checked done by the next tick's observation before the next step.
#include <fmt/format.h>

#include "cluster/zero_loss.hpp"
#include "daemon/effects/effects.hpp"

namespace repmgr::repmgrd {

void Effects::record_zero_loss(const Snapshot& s, const Action& a) {
    Connection* local = links_.local.current();
    if (!local) return;
    Arbiter& arbiter = arbiters_.for_nodes(s.nodes);
    // Versions grow across primaries: the witness may hold a write this
    // (newly promoted) primary never received.
    long long version = 0;
    if (auto mine = read_zero_loss_record(*local)) version = mine->version;
    if (auto theirs = arbiter.read_zero_loss()) version = std::max(version, theirs->version);
    ZeroLossRecord r{a.ids, s.node_id, version + 1};
    ctx_.log.notice("{}", a.details);
    write_zero_loss_record(*local, r);
    if (arbiter.required()) {
        std::string error = arbiter.write_zero_loss(r);
        if (!error.empty())
            ctx_.log.warning("the zero-loss candidates could not be copied to the {}: {}",
                             arbiter.name(), error);
    }
}

void Effects::set_sync_names(const Action& a) {
    Connection* local = links_.local.current();
    if (!local) return;
    ctx_.log.notice("{}", a.details);
    std::string now = set_synchronous_standby_names(*local, a.value);
    if (now != a.value)
        ctx_.log.warning("synchronous_standby_names is still \"{}\" after the reload (wanted "
                         "\"{}\"): checking again at the next tick",
                         now, a.value);
}

}  // namespace repmgr::repmgrd
