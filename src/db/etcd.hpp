#pragma once

// A client for etcd v3 through its JSON gateway (POST /v3/kv/range, /v3/kv/txn,
// /v3/lease/grant, /v3/lease/keepalive, /v3/lease/revoke), over the HTTP
// module (util/http_module.hpp), loaded when the first call is made. Keys and values
// travel base64-encoded and 64-bit numbers as strings, as the gateway wants.
// Every call has one deadline (EtcdOptions::timeout_ms) over all endpoints;
// an endpoint that does not answer, or answers that it has no leader, hands
// the call to the next one. No call retries a write that may have been
// applied: a transport error after the request was sent is an EtcdError.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/etcd_settings.hpp"

#include "util/http/transport.hpp"

namespace repmgr {

struct EtcdOptions {
    std::vector<EtcdEndpoint> endpoints;
    std::string cacert;  // https: CA file (empty: the system's)
    std::string cert;    // https: client certificate and key
    std::string key;
    std::string user;    // etcd authentication (empty: none)
    std::string password;
    int timeout_ms = 1000;  // one call, all endpoints together
};
// The options of `config` (endpoints parsed; config validation ran already).
// A call's deadline is master_response_timeout (at least 500 ms): every
// etcd call repmgr makes is one check, as long as a check of a server.
EtcdOptions etcd_options(const Config& config);

// Unreachable (no endpoint answered in time) or refused (an error answer).
class EtcdError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct EtcdKv {
    std::string key;
    std::string value;
    long long create_revision = 0;
    long long mod_revision = 0;
    long long lease = 0;  // 0: none
};

// One comparison of a transaction, always "equal".
struct EtcdCompare {
    enum class Target { Create, Mod, Value, Lease } target = Target::Create;
    std::string key;
    long long number = 0;  // Create/Mod: a revision (0: the key does not exist); Lease: an id
    std::string value;     // Value
    static EtcdCompare absent(std::string key) { return {Target::Create, std::move(key), 0, {}}; }
    static EtcdCompare value_is(std::string key, std::string value) {
        return {Target::Value, std::move(key), 0, std::move(value)};
    }
    static EtcdCompare mod_revision_is(std::string key, long long rev) {
        return {Target::Mod, std::move(key), rev, {}};
    }
};

struct EtcdOp {
    enum class Kind { Put, Delete, Range } kind = Kind::Range;
    std::string key;
    std::string value;   // Put
    long long lease = 0; // Put: attach to this lease (0: none)
    bool prefix = false; // Range/Delete: every key under `key`
    static EtcdOp put(std::string key, std::string value, long long lease = 0) {
        return {Kind::Put, std::move(key), std::move(value), lease, false};
    }
    static EtcdOp remove(std::string key) { return {Kind::Delete, std::move(key), {}, 0, false}; }
    static EtcdOp range(std::string key, bool prefix = false) {
        return {Kind::Range, std::move(key), {}, 0, prefix};
    }
};

struct EtcdTxnResult {
    bool succeeded = false;
    // The key-values of each Range op of the branch that ran, in order.
    std::vector<std::vector<EtcdKv>> ranges;
};

// The time stamps repmgr writes into its etcd records (crash report, node
// reports): wall-clock milliseconds since the epoch. etcd keeps no clock a
// client can read, so writer and reader compare their own clocks
// (docs/etcd.md asks for synchronized clocks).
inline long long etcd_now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Pure pieces (unit-tested).
std::string etcd_base64(std::string_view raw);
std::string etcd_unbase64(std::string_view text);  // throws EtcdError on bad input
std::string etcd_range_end(std::string_view prefix);  // first key after every key with `prefix`
nlohmann::json etcd_txn_body(const std::vector<EtcdCompare>& compare,
                             const std::vector<EtcdOp>& success,
                             const std::vector<EtcdOp>& failure);
EtcdTxnResult etcd_parse_txn(const nlohmann::json& answer);
std::vector<EtcdKv> etcd_parse_kvs(const nlohmann::json& range_answer);
long long etcd_number(const nlohmann::json& value);  // "123" or 123; 0 when absent
// The gateway's error text: {"error": "...", "message": "..."} from a unary
// call, {"error": {"grpc_code": 14, "message": "..."}} from a stream
// (keepalive); "" when there is none.
std::string etcd_error_message(const nlohmann::json& body);

class EtcdClient {
public:
    explicit EtcdClient(EtcdOptions options);
    ~EtcdClient();
    EtcdClient(const EtcdClient&) = delete;
    EtcdClient& operator=(const EtcdClient&) = delete;

    std::vector<EtcdKv> range(const std::string& key, bool prefix = false);
    std::optional<EtcdKv> get(const std::string& key);
    EtcdTxnResult txn(const std::vector<EtcdCompare>& compare, const std::vector<EtcdOp>& success,
                      const std::vector<EtcdOp>& failure = {});
    void put(const std::string& key, const std::string& value, long long lease = 0);
    // A new lease of `ttl_s` seconds; its id.
    long long grant(int ttl_s);
    // Renews `lease`; the seconds it has left, 0 when it no longer exists.
    long long keepalive(long long lease);
    void revoke(long long lease);
    // Seconds left on `lease` (0: gone).
    long long time_to_live(long long lease);
    // Each endpoint on its own: "" when it answers /v3/maintenance/status
    // within the deadline, else why not; plus the leader's member id seen.
    struct EndpointHealth {
        std::string url;
        std::string error;
        bool is_leader = false;
    };
    std::vector<EndpointHealth> health();
    // The endpoint that answered the last call.
    std::string current_endpoint() const;

private:
    nlohmann::json post(std::string_view path, const nlohmann::json& body);
    nlohmann::json post_checked(std::string_view path, const nlohmann::json& body);
    nlohmann::json post_to(size_t index, std::string_view path, const nlohmann::json& body,
                           int timeout_ms, bool& unreachable);
    http::Client& client(size_t index);
    void authenticate(size_t index, int timeout_ms);

    EtcdOptions options_;
    const http::ModuleApi& http_;
    std::vector<std::unique_ptr<http::Client>> clients_;
    size_t current_ = 0;
    std::string token_;  // etcd authentication token (user/password)
};

}  // namespace repmgr
