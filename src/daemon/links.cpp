#include "daemon/links.hpp"

#include "cluster/history.hpp"
#include "cluster/nodes.hpp"

namespace repmgr::repmgrd {

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

void Link::drop(std::string why) {
    conn_.reset();
    error_ = std::move(why);
}

}  // namespace repmgr::repmgrd
