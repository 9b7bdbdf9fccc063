#include "actions/context.hpp"

#include "config/conninfo.hpp"

namespace repmgr {

Connection Context::connect_local() {
    require_node_identity(config);
    log.debug("connecting to this node: \"{}\"", config.conninfo);
    return Connection::open(config.conninfo);
}

std::optional<std::string> Context::upstream_conninfo() const {
    if (opts.host.empty() && opts.port.empty() && opts.user.empty() && opts.dbname.empty())
        return std::nullopt;
    Conninfo c;
    const std::string& d = opts.dbname;
    bool d_is_conninfo = d.find('=') != std::string::npos || d.rfind("postgres://", 0) == 0 ||
                         d.rfind("postgresql://", 0) == 0;
    if (d_is_conninfo)
        c = Conninfo::parse(d);
    else if (!d.empty())
        c.set("dbname", d);
    if (!opts.host.empty()) c.set("host", opts.host);
    if (!opts.port.empty()) c.set("port", opts.port);
    if (!opts.user.empty()) c.set("user", opts.user);
    return c.to_string();
}

void Context::record(Connection* conn, const std::string& event, bool ok,
                     const std::string& details, std::optional<int> peer) {
    EventInfo info{.node_id = config.node_id,
                   .event = event,
                   .successful = ok,
                   .details = details,
                   .node_name = config.node_name,
                   .conninfo = config.conninfo,
                   .peer_node_id = peer};
    record_event(config, log, conn, info, notifications);
}

std::string Context::pg_binary(const std::string& name) const {
    if (config.pg_bindir.empty()) return name;
    std::string dir = config.pg_bindir;
    if (dir.back() != '/') dir += '/';
    return dir + name;
}

}  // namespace repmgr
