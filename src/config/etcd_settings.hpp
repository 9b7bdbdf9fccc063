#pragma once

// The etcd arbiter's settings (docs/etcd.md): the endpoints parsed, the key
// prefix, and the checks parse_config() runs on them.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace repmgr {

struct EtcdEndpoint {
    bool tls = false;  // https
    std::string host;
    int port = 2379;
    std::string url() const;  // scheme://host:port, as the HTTP client takes it
};

// "http://a:2379, https://b:2379" -> endpoints; nullopt with `why` set on a
// malformed entry (no scheme, a path, a bad port, an empty list).
std::optional<std::vector<EtcdEndpoint>> parse_etcd_endpoints(std::string_view text,
                                                              std::string& why);

// The cluster's key prefix: etcd_prefix, else /repmgr/<cluster>/; always
// ends with '/'.
std::string etcd_prefix(const Config& config);

// The shortest etcd_ttl that lets a primary notice, within one
// monitor interval and one check, that it could not renew its lease and
// fence itself before the lease can expire.
int min_etcd_ttl(const Config& config);

// Adds an error (file:line first) for each inconsistent etcd setting and a
// warning for etcd settings that arbiter=witness ignores. `set_at` maps each
// setting given in the file to its file:line.
void check_etcd_settings(const Config& config, const std::map<std::string_view, std::string>& set_at,
                         const std::string& origin, std::vector<std::string>& errors,
                         std::vector<std::string>& warnings);

}  // namespace repmgr
