#include "config/etcd_settings.hpp"

#include <charconv>

#include <fmt/format.h>

#include "config/settings.hpp"
#include "util/text.hpp"

namespace repmgr {

std::string EtcdEndpoint::url() const {
    bool v6 = host.find(':') != std::string::npos;
    return fmt::format("{}://{}{}{}:{}", tls ? "https" : "http", v6 ? "[" : "", host, v6 ? "]" : "",
                       port);
}

namespace {

std::optional<EtcdEndpoint> parse_endpoint(std::string_view item, std::string& why) {
    EtcdEndpoint e;
    std::string_view rest = item;
    if (rest.starts_with("http://")) {
        rest.remove_prefix(7);
    } else if (rest.starts_with("https://")) {
        e.tls = true;
        rest.remove_prefix(8);
    } else {
        why = fmt::format("\"{}\" has no http:// or https:// scheme", item);
        return std::nullopt;
    }
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    if (rest.find('/') != std::string_view::npos || rest.find('@') != std::string_view::npos) {
        why = fmt::format("\"{}\" must be scheme://host:port only (no path, no user)", item);
        return std::nullopt;
    }
    std::string_view port_text;
    if (rest.starts_with("[")) {  // [IPv6]:port
        auto close = rest.find(']');
        if (close == std::string_view::npos) {
            why = fmt::format("\"{}\" has an unclosed [", item);
            return std::nullopt;
        }
        e.host = std::string(rest.substr(1, close - 1));
        rest.remove_prefix(close + 1);
        if (rest.starts_with(":")) port_text = rest.substr(1);
        else if (!rest.empty()) {
            why = fmt::format("\"{}\": unexpected text after the address", item);
            return std::nullopt;
        }
    } else {
        auto colon = rest.rfind(':');
        e.host = std::string(rest.substr(0, colon));
        if (colon != std::string_view::npos) port_text = rest.substr(colon + 1);
    }
    if (e.host.empty() || e.host.starts_with("-")) {
        why = fmt::format("\"{}\" has no usable host", item);
        return std::nullopt;
    }
    if (!port_text.empty()) {
        int port = 0;
        auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (ec != std::errc{} || end != port_text.data() + port_text.size() || port < 1 ||
            port > 65535) {
            why = fmt::format("\"{}\" has a bad port \"{}\"", item, port_text);
            return std::nullopt;
        }
        e.port = port;
    }
    return e;
}

}  // namespace

std::optional<std::vector<EtcdEndpoint>> parse_etcd_endpoints(std::string_view text,
                                                              std::string& why) {
    std::vector<EtcdEndpoint> out;
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t end = text.find(',', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string item(trim(text.substr(pos, end - pos)));
        pos = end + 1;
        if (item.empty()) continue;
        auto e = parse_endpoint(item, why);
        if (!e) return std::nullopt;
        out.push_back(std::move(*e));
    }
    if (out.empty()) {
        why = "no endpoint given";
        return std::nullopt;
    }
    return out;
}

std::string etcd_prefix(const Config& config) {
    std::string p = config.etcd_prefix.empty() ? "/repmgr/" + config.cluster + "/" : config.etcd_prefix;
    if (!p.ends_with('/')) p += '/';
    return p;
}

namespace {
// etcd_failsafe: a standby's promise is renewed once per monitor interval, a
// little late when its tick runs long; two seconds of slack over the lease's
// own minimum keep a primary from flapping between failsafe and its fence.
constexpr int kFailsafeSlackSeconds = 2;
}  // namespace

int min_etcd_ttl(const Config& config) {
    // The renewal that failed, the next one (a monitor interval later), each
    // waiting up to master_response_timeout, then one second for the fence.
    return 2 * config.monitor_interval_secs + config.master_response_timeout + 1;
}

void check_etcd_settings(const Config& c, const std::map<std::string_view, std::string>& set_at,
                         const std::string& origin, std::vector<std::string>& errors,
                         std::vector<std::string>& warnings) {
    auto where = [&](std::string_view name) {
        auto it = set_at.find(name);
        return it != set_at.end() ? it->second : origin;
    };
    static constexpr std::string_view kEtcdOnly[] = {"etcd_endpoints", "etcd_prefix", "etcd_ttl",
                                                     "etcd_cacert",    "etcd_cert",   "etcd_key",
                                                     "etcd_user",      "etcd_password",
                                                     "etcd_failsafe"};
    if (c.arbiter != "etcd") {
        for (auto name : kEtcdOnly)
            if (const SettingDescriptor* d = find_setting(name);
                set_at.count(name) && d && setting_value(*d, c) != d->default_value)
                warnings.push_back(fmt::format("{}: \"{}\" is ignored: arbiter is \"{}\", not \"etcd\"",
                                               where(name), name, c.arbiter));
        return;
    }
    std::string why;
    if (c.etcd_endpoints.empty())
        errors.push_back(fmt::format("{}: arbiter=etcd needs \"etcd_endpoints\" (e.g. "
                                     "etcd_endpoints='http://10.0.0.1:2379,http://10.0.0.2:2379')",
                                     where("arbiter")));
    else if (!parse_etcd_endpoints(c.etcd_endpoints, why))
        errors.push_back(
            fmt::format("{}: \"etcd_endpoints\" has a bad entry: {}", where("etcd_endpoints"), why));
    if (!c.etcd_prefix.empty() && !c.etcd_prefix.starts_with('/'))
        errors.push_back(fmt::format("{}: \"etcd_prefix\" must start with '/', got \"{}\"",
                                     where("etcd_prefix"), c.etcd_prefix));
    if (c.etcd_cert.empty() != c.etcd_key.empty()) {
        bool cert = !c.etcd_cert.empty();
        errors.push_back(fmt::format("{}: \"{}\" is set but \"{}\" is not: a client certificate "
                                     "needs both",
                                     where(cert ? "etcd_cert" : "etcd_key"),
                                     cert ? "etcd_cert" : "etcd_key", cert ? "etcd_key" : "etcd_cert"));
    }
    if (c.etcd_user.empty() != c.etcd_password.empty()) {
        bool user = !c.etcd_user.empty();
        errors.push_back(fmt::format("{}: \"{}\" is set but \"{}\" is not: etcd's authentication "
                                     "needs both",
                                     where(user ? "etcd_user" : "etcd_password"),
                                     user ? "etcd_user" : "etcd_password",
                                     user ? "etcd_password" : "etcd_user"));
    }
    if (c.etcd_ttl < min_etcd_ttl(c))
        errors.push_back(fmt::format(
            "{}: \"etcd_ttl\" ({} s) is too short: the primary renews its lease every "
            "monitor_interval_secs ({} s), each renewal may take master_response_timeout ({} s), "
            "and it must fence itself before the lease can expire; set etcd_ttl to at least {}",
            where("etcd_ttl"), c.etcd_ttl, c.monitor_interval_secs, c.master_response_timeout,
            min_etcd_ttl(c)));
    else if (c.etcd_failsafe && c.etcd_ttl < min_etcd_ttl(c) + kFailsafeSlackSeconds)
        errors.push_back(fmt::format(
            "{}: \"etcd_ttl\" ({} s) is too short for etcd_failsafe: each standby renews its "
            "promise every monitor_interval_secs ({} s), and the primary stays writable only "
            "while every promise lasts beyond its next check; set etcd_ttl to at least {}",
            where("etcd_ttl"), c.etcd_ttl, c.monitor_interval_secs,
            min_etcd_ttl(c) + kFailsafeSlackSeconds));
}

}  // namespace repmgr
