#pragma once

#include <optional>
#include <string>

#include "cluster/node_record.hpp"
#include "config/config.hpp"
#include "daemon/observe/probe.hpp"
#include "db/connection.hpp"

namespace repmgr::repmgrd {

// How monitoring connections are opened: bounded connect (Connection::open
// adds tcp_user_timeout and keepalives) and a statement timeout on every query.
struct LinkSettings {
    std::string schema;            // metadata schema to put on the search_path
    int connect_timeout_s = 2;
    int statement_timeout_ms = 2000;
};

// One monitoring connection kept open between ticks (a connect per check
// would fork a backend on the server each time) and re-opened when it broke
// or its target changed.
class Link {
public:
    // The open connection to `conninfo`, connecting first when needed;
    // nullptr when that fails (see error()).
    Connection* get(const std::string& conninfo, const LinkSettings& settings);
    // Forgets a connection that failed mid-query.
    void drop(std::string why);
    Connection* current() { return conn_ ? &*conn_ : nullptr; }
    // The open connection, for a step that only runs after the link was
    // opened in this tick. It may have been dropped since (a query on the
    // same server timed out: for a primary, the local link is also its
    // primary link): a DbError then, never a null connection.
    Connection& require();
    const std::string& error() const { return error_; }

private:
    std::optional<Connection> conn_;
    std::string conninfo_;
    std::string error_;
};

// The connections repmgrd keeps: the observer opens them, the effects use
// them (they are resources, not decision state: decide() never sees them).
struct ServerLinks {
    enum class PrimaryVia { None, Local, Upstream, Own };

    Link local;
    Link upstream;
    Link primary_own;  // when the primary is neither this node nor its upstream
    PeerPool peers;    // to the other nodes, while this node's role asks them each tick
    PrimaryVia primary_via = PrimaryVia::None;
    std::optional<NodeRecord> primary_record;  // the node primary() talks to

    Link* primary_link();
    // The writable primary's connection this tick, or nullptr.
    Connection* primary();
    void drop_primary(const std::string& why);
};

// How repmgrd opens its monitoring connections (master_response_timeout
// bounds both the connect and every query); read from the configuration at
// each use, so that a reload applies.
LinkSettings link_settings(const Config& config);

// The most useful line of a Failure: libpq's or the server's own words.
std::string failure_text(const Failure& f);

}  // namespace repmgr::repmgrd
