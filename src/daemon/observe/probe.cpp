#include "daemon/observe/probe.hpp"

#include <algorithm>

#include "cluster/history.hpp"
#include "cluster/nodes.hpp"
#include "cluster/zero_loss.hpp"
#include "db/probe.hpp"

namespace repmgr::repmgrd {

int receiver_freshness_s(const Config& c) {
    return std::max(10, c.reconnect_attempts * c.reconnect_interval + c.master_response_timeout);
}

std::vector<Probed> probe_nodes(const std::vector<const NodeRecord*>& nodes, const Config& config,
                                int heartbeat_of, int timeout_s) {
    std::vector<std::string> conninfos;
    for (const auto* n : nodes) conninfos.push_back(n->conninfo);
    if (timeout_s <= 0) timeout_s = std::max(1, config.master_response_timeout);
    auto results = connect_all(conninfos, timeout_s);
    std::vector<Probed> out;
    for (size_t i = 0; i < nodes.size(); ++i) {
        Probed p{nodes[i], std::nullopt};
        if (results[i].connection) {
            try {
                set_statement_timeout(*results[i].connection, timeout_s * 1000);
                p.state = read_peer_state(*results[i].connection, receiver_freshness_s(config));
                if (heartbeat_of && p.state->in_recovery) {
                    use_metadata_schema(*results[i].connection, schema_name(config));
                    p.heartbeat_epoch = read_heartbeat_epoch(*results[i].connection, heartbeat_of);
                }
            } catch (const Failure&) {
                // Connected but could not answer in time (a server shutting
                // down, a frozen one): for an election that is unreachable.
                p.state.reset();
            }
        }
        out.push_back(std::move(p));
    }
    return out;
}

PeerTally tally_peers(const std::vector<Probed>& probed) {
    PeerTally t;
    for (const auto& p : probed) {
        const NodeRecord& n = *p.node;
        if (n.active && (n.type == NodeType::Standby || n.type == NodeType::Witness)) {
            t.total += 1;
            if (p.state) t.visible += 1;
            if (p.state && n.type == NodeType::Witness) t.witness_visible = true;
        }
        if (n.type != NodeType::Witness && p.state && !p.state->in_recovery &&
            (t.primary_id == 0 || p.state->timeline > t.primary_timeline)) {
            t.primary_id = n.id;
            t.primary_timeline = p.state->timeline;
        }
    }
    return t;
}

PeerTally probe_peers(const std::vector<NodeRecord>& nodes, int self, const Config& config) {
    std::vector<const NodeRecord*> others;
    for (const auto& n : nodes)
        if (n.id != self) others.push_back(&n);
    return tally_peers(probe_nodes(others, config));
}

}  // namespace repmgr::repmgrd
