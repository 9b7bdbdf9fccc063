#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cluster/arbiter.hpp"
#include "cluster/node_record.hpp"
#include "config/config.hpp"

namespace repmgr::repmgrd {

// A sibling's WAL receiver counts as still seeing the primary when it heard
// from it within the time the standbys need to declare it failed.
int receiver_freshness_s(const Config& c);

struct Probed {
    const NodeRecord* node;
    std::optional<PeerState> state;  // nullopt: unreachable
    // When asked (heartbeat_of): that node's newest heartbeat in this node's
    // copy of the metadata (epoch seconds, written by the primary's clock).
    std::optional<double> heartbeat_epoch;
};

// Connections to the other nodes, kept from one tick to the next while a
// role keeps asking them (a standby during a failover, a primary checking
// for isolation): with 15 standbys, fresh connections every tick forked
// hundreds of backends a second and starved the election itself.
class PeerPool {
public:
    // Connects to every node not yet open at once (one timeout in total, not
    // one per dead node) and asks every node what it is, all at once (a node
    // that froze costs one query timeout, not one each); with heartbeat_of,
    // also how fresh its copy of that node's heartbeat is
    // (failover_max_lag_secs for siblings). timeout_s: the deadline for
    // connecting and for answering (0: master_response_timeout). A node that
    // fails to answer is closed, and connected afresh next time.
    std::vector<Probed> probe(const std::vector<const NodeRecord*>& nodes, const Config& config,
                              int heartbeat_of = 0, int timeout_s = 0);
    // Closes every connection unless probe() ran since the last call: a
    // node's backends are not held once its role stops asking.
    void close_if_idle();

private:
    struct Open {
        std::string conninfo;
        Connection conn;
        bool prepared = false;  // statement_timeout set
        bool schema_set = false;
    };
    // Asks out[i] for each i of `which`, in parallel; closes the ones that
    // fail and returns those that failed at once (see ask()).
    std::vector<size_t> ask_all(std::vector<Probed>& out, const std::vector<size_t>& which,
                                const Config& config, int heartbeat_of, int timeout_s);
    std::map<int, Open> open_;
    bool used_ = false;
};

// probe() with connections of its own, closed on return: for one-off looks.
std::vector<Probed> probe_nodes(const std::vector<const NodeRecord*>& nodes, const Config& config,
                                int heartbeat_of = 0, int timeout_s = 0);

// What a primary (or a demoted one) sees of the others: how many voting
// members (active standbys and the witness) answer, and the primary on the
// highest timeline among them. The servers are asked, not the records: in a
// primary's copy of the metadata a node promoted elsewhere is still a standby.
// The witness runs a writable server of its own: never a primary.
struct PeerTally {
    int visible = 0;
    int total = 0;
    int primary_id = 0;  // 0: no other primary answers
    int primary_timeline = 0;
    bool witness_visible = false;  // the active witness answers
};
PeerTally tally_peers(const std::vector<Probed>& probed);
// Every node of `nodes` but `self`, probed through `pool` and tallied.
PeerTally probe_peers(PeerPool& pool, const std::vector<NodeRecord>& nodes, int self,
                      const Config& config);

}  // namespace repmgr::repmgrd
