#include "config/conninfo.hpp"

#include <libpq-fe.h>

#include <memory>

#include <fmt/format.h>

#include "util/error.hpp"

namespace repmgr {
namespace {

struct OptionsDeleter {
    void operator()(PQconninfoOption* o) const { PQconninfoFree(o); }
};
using OptionsPtr = std::unique_ptr<PQconninfoOption, OptionsDeleter>;

}  // namespace

std::optional<std::string> Conninfo::validate(const std::string& text) {
    return conninfo_syntax_error(text);
}

Conninfo Conninfo::parse(const std::string& text) {
    char* err = nullptr;
    OptionsPtr opts(PQconninfoParse(text.c_str(), &err));
    if (!opts) {
        std::string message = err ? err : "out of memory";
        if (err) PQfreemem(err);
        while (!message.empty() && message.back() == '\n') message.pop_back();
        fail(ExitCode::BadConfig, fmt::format("invalid connection string \"{}\"", text), message,
             "use key=value pairs, e.g. 'host=node1 user=repmgr dbname=repmgr'");
    }
    Conninfo c;
    for (auto* o = opts.get(); o->keyword; ++o)
        if (o->val && *o->val) c.params_[o->keyword] = o->val;
    return c;
}

std::optional<std::string> Conninfo::get(const std::string& key) const {
    auto it = params_.find(key);
    if (it == params_.end()) return std::nullopt;
    return it->second;
}

void Conninfo::set_default(const std::string& key, const std::string& value) {
    params_.try_emplace(key, value);
}

std::string Conninfo::to_string() const {
    std::string out;
    for (const auto& [key, value] : params_) {
        if (!out.empty()) out += ' ';
        out += key + "=" + quote_conninfo_value(value);
    }
    return out;
}

SplitConninfo split_password(const std::string& conninfo) {
    Conninfo c = Conninfo::parse(conninfo);
    SplitConninfo out;
    out.password = c.get("password");
    if (!out.password) {
        out.conninfo = conninfo;  // as the user wrote it
        return out;
    }
    c.erase("password");
    out.conninfo = c.to_string();
    return out;
}

std::string with_own_password(const std::string& conninfo, const std::string& own) {
    if (conninfo.empty() || own.empty()) return conninfo;
    Conninfo target = Conninfo::parse(conninfo);
    if (target.has("password") || target.has("passfile")) return conninfo;
    Conninfo mine = Conninfo::parse(own);
    if (target.get("user") != mine.get("user")) return conninfo;
    // A passfile too: without it libpq would look in ~/.pgpass, not where
    // this node's conninfo says its password is.
    auto password = mine.get("password");
    auto passfile = mine.get("passfile");
    if (!password && !passfile) return conninfo;
    if (password) target.set("password", *password);
    if (passfile) target.set("passfile", *passfile);
    return target.to_string();
}

std::string with_connect_timeout(const std::string& conninfo, int seconds) {
    Conninfo c = Conninfo::parse(conninfo);
    if (c.has("connect_timeout")) return c.to_string();
    c.set("connect_timeout", std::to_string(seconds));
    return c.to_string();
}

}  // namespace repmgr
