#include "daemon/observe/links.hpp"

#include <algorithm>

#include "cluster/history.hpp"
#include "cluster/nodes.hpp"

namespace repmgr::repmgrd {

LinkSettings link_settings(const Config& config) {
    int timeout_s = std::max(1, config.master_response_timeout);
    return LinkSettings{schema_name(config), timeout_s, timeout_s * 1000};
}

std::string failure_text(const Failure& f) {
    std::string text = f.detail().empty() ? f.what() : f.detail();
    auto nl = text.find('\n');
    return nl == std::string::npos ? text : text.substr(0, nl);
}

Connection* Link::get(const std::string& conninfo, const LinkSettings& settings) {
    if (conn_ && conninfo_ == conninfo && conn_->ok()) return &*conn_;
    conn_.reset();
    conninfo_ = conninfo;
    try {
        Connection c = Connection::open(conninfo, settings.connect_timeout_s);
        set_statement_timeout(c, settings.statement_timeout_ms);
        // The server's statement_timeout answers a slow query; this client-side
        // deadline a frozen server, which answers nothing at all.
        c.set_query_timeout(std::chrono::milliseconds(settings.statement_timeout_ms + 500));
        use_metadata_schema(c, settings.schema);
        conn_.emplace(std::move(c));
        error_.clear();
        return &*conn_;
    } catch (const Failure& f) {
        error_ = failure_text(f);
        return nullptr;
    }
}

Connection& Link::require() {
    if (!conn_)
        throw DbError(ExitCode::DbConnection, "connection to the database was lost", {},
                      error_.empty() ? "the connection was closed earlier in this check" : error_);
    return *conn_;
}

void Link::drop(std::string why) {
    conn_.reset();
    error_ = std::move(why);
}

Link* ServerLinks::primary_link() {
    switch (primary_via) {
        case PrimaryVia::Local: return &local;
        case PrimaryVia::Upstream: return &upstream;
        case PrimaryVia::Own: return &primary_own;
        case PrimaryVia::None: break;
    }
    return nullptr;
}

Connection* ServerLinks::primary() {
    Link* link = primary_link();
    return link ? link->current() : nullptr;
}

void ServerLinks::drop_primary(const std::string& why) {
    if (Link* link = primary_link()) link->drop(why);
    primary_via = PrimaryVia::None;
}

}  // namespace repmgr::repmgrd
