#include "daemon/observe/probe.hpp"

#include <algorithm>
#include <chrono>
#include <future>
#include <system_error>

#include "cluster/history.hpp"
#include "cluster/nodes.hpp"
#include "cluster/zero_loss.hpp"
#include "db/probe.hpp"

namespace repmgr::repmgrd {

int receiver_freshness_s(const Config& c) {
    return std::max(10, c.reconnect_attempts * c.reconnect_interval + c.master_response_timeout);
}

namespace {

using Clock = std::chrono::steady_clock;

// One node's answers, on a connection no other thread touches. Returns
// whether it failed before half its timeout: a connection the server closed
// since the last tick (a restart), rather than a server that does not answer.
bool ask(Connection& conn, bool& prepared, bool& schema_set, Probed& p, const Config& config,
         int heartbeat_of, int timeout_s) {
    auto asked = Clock::now();
    try {
        conn.set_query_timeout(std::chrono::seconds(timeout_s));
        if (!prepared) {
            set_statement_timeout(conn, timeout_s * 1000);
            prepared = true;
        }
        p.state = read_peer_state(conn, receiver_freshness_s(config));
        if (heartbeat_of && p.state->in_recovery) {
            if (!schema_set) {
                use_metadata_schema(conn, schema_name(config));
                schema_set = true;
            }
            p.heartbeat_epoch = read_heartbeat_epoch(conn, heartbeat_of);
        }
        return false;
    } catch (const Failure&) {
        // Connected but could not answer in time (a server shutting down, a
        // frozen one): for an election that is unreachable.
        p.state.reset();
        p.heartbeat_epoch.reset();
        return Clock::now() - asked < std::chrono::milliseconds(timeout_s * 500);
    }
}

}  // namespace

std::vector<size_t> PeerPool::ask_all(std::vector<Probed>& out, const std::vector<size_t>& which,
                                      const Config& config, int heartbeat_of, int timeout_s) {
    std::vector<std::future<bool>> answers;
    for (size_t i : which) {
        Open& o = open_.at(out[i].node->id);
        Probed& p = out[i];
        auto asking = [&o, &p, &config, heartbeat_of, timeout_s] {
            return ask(o.conn, o.prepared, o.schema_set, p, config, heartbeat_of, timeout_s);
        };
        try {
            answers.push_back(std::async(std::launch::async, asking));
        } catch (const std::system_error&) {
            // No thread to spare (EAGAIN): this node is asked in this one.
            std::promise<bool> answered;
            answered.set_value(asking());
            answers.push_back(answered.get_future());
        }
    }
    std::vector<size_t> failed_at_once;
    for (size_t k = 0; k < which.size(); ++k) {
        bool at_once = answers[k].get();
        const Probed& p = out[which[k]];
        if (p.state) continue;
        open_.erase(p.node->id);
        if (at_once) failed_at_once.push_back(which[k]);
    }
    return failed_at_once;
}

std::vector<Probed> PeerPool::probe(const std::vector<const NodeRecord*>& nodes, const Config& config,
                                    int heartbeat_of, int timeout_s) {
    used_ = true;
    if (timeout_s <= 0) timeout_s = std::max(1, config.master_response_timeout);
    std::vector<Probed> out;
    std::vector<size_t> kept, missing;
    for (size_t i = 0; i < nodes.size(); ++i) {
        out.push_back(Probed{nodes[i], std::nullopt, std::nullopt});
        auto it = open_.find(nodes[i]->id);
        if (it != open_.end() && it->second.conninfo == nodes[i]->conninfo && it->second.conn.ok()) {
            kept.push_back(i);
        } else {
            if (it != open_.end()) open_.erase(it);
            missing.push_back(i);
        }
    }
    // A kept connection that fails at once was closed by its server since
    // (a restart): that node is connected afresh with the others.
    for (size_t i : ask_all(out, kept, config, heartbeat_of, timeout_s)) missing.push_back(i);

    std::vector<std::string> conninfos;
    for (size_t i : missing) conninfos.push_back(nodes[i]->conninfo);
    auto connected = connect_all(conninfos, timeout_s);
    std::vector<size_t> fresh;
    for (size_t k = 0; k < missing.size(); ++k) {
        if (!connected[k].connection) continue;
        open_.insert_or_assign(nodes[missing[k]]->id,
                               Open{nodes[missing[k]]->conninfo, std::move(*connected[k].connection)});
        fresh.push_back(missing[k]);
    }
    ask_all(out, fresh, config, heartbeat_of, timeout_s);
    return out;
}

void PeerPool::close_if_idle() {
    if (!used_) open_.clear();
    used_ = false;
}

std::vector<Probed> probe_nodes(const std::vector<const NodeRecord*>& nodes, const Config& config,
                                int heartbeat_of, int timeout_s) {
    PeerPool once;
    return once.probe(nodes, config, heartbeat_of, timeout_s);
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

PeerTally probe_peers(PeerPool& pool, const std::vector<NodeRecord>& nodes, int self,
                      const Config& config) {
    std::vector<const NodeRecord*> others;
    for (const auto& n : nodes)
        if (n.id != self) others.push_back(&n);
    return tally_peers(pool.probe(others, config));
}

}  // namespace repmgr::repmgrd
