#include "db/etcd.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "util/http_module.hpp"

namespace repmgr {

using nlohmann::json;

EtcdOptions etcd_options(const Config& config) {
    EtcdOptions o;
    std::string why;
    if (auto endpoints = parse_etcd_endpoints(config.etcd_endpoints, why)) o.endpoints = *endpoints;
    o.cacert = config.etcd_cacert;
    o.cert = config.etcd_cert;
    o.key = config.etcd_key;
    o.user = config.etcd_user;
    o.password = config.etcd_password;
    o.timeout_ms = std::max(500, config.master_response_timeout * 1000);
    return o;
}

std::string etcd_base64(std::string_view raw) {
    std::string out(4 * ((raw.size() + 2) / 3), '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(raw.data()),
                            static_cast<int>(raw.size()));
    out.resize(static_cast<size_t>(std::max(n, 0)));
    return out;
}

std::string etcd_unbase64(std::string_view text) {
    if (text.size() % 4 != 0) throw EtcdError("etcd answered a value that is not base64");
    std::string out(3 * (text.size() / 4), '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(text.data()),
                            static_cast<int>(text.size()));
    if (n < 0) throw EtcdError("etcd answered a value that is not base64");
    // EVP_DecodeBlock counts the padding as data.
    size_t pad = 0;
    if (!text.empty() && text.back() == '=') ++pad;
    if (text.size() > 1 && text[text.size() - 2] == '=') ++pad;
    out.resize(static_cast<size_t>(n) - pad);
    return out;
}

std::string etcd_range_end(std::string_view prefix) {
    std::string end(prefix);
    while (!end.empty()) {
        auto& last = reinterpret_cast<unsigned char&>(end.back());
        if (last < 0xff) {
            ++last;
            return end;
        }
        end.pop_back();
    }
    return std::string(1, '\0');  // every key
}

long long etcd_number(const json& value) {
    if (value.is_number_integer()) return value.get<long long>();
    if (value.is_string()) {
        try {
            return std::stoll(value.get<std::string>());
        } catch (const std::exception&) {
            throw EtcdError(fmt::format("etcd answered \"{}\" where a number belongs",
                                        value.get<std::string>()));
        }
    }
    return 0;
}

namespace {

json op_json(const EtcdOp& op) {
    json body{{"key", etcd_base64(op.key)}};
    if (op.prefix) body["range_end"] = etcd_base64(etcd_range_end(op.key));
    switch (op.kind) {
        case EtcdOp::Kind::Put:
            body["value"] = etcd_base64(op.value);
            if (op.lease) body["lease"] = std::to_string(op.lease);
            return json{{"request_put", body}};
        case EtcdOp::Kind::Delete:
            return json{{"request_delete_range", body}};
        case EtcdOp::Kind::Range:
            break;
    }
    return json{{"request_range", body}};
}

json compare_json(const EtcdCompare& c) {
    json body{{"key", etcd_base64(c.key)}, {"result", "EQUAL"}};
    switch (c.target) {
        case EtcdCompare::Target::Create:
            body["target"] = "CREATE";
            body["create_revision"] = std::to_string(c.number);
            break;
        case EtcdCompare::Target::Mod:
            body["target"] = "MOD";
            body["mod_revision"] = std::to_string(c.number);
            break;
        case EtcdCompare::Target::Value:
            body["target"] = "VALUE";
            body["value"] = etcd_base64(c.value);
            break;
        case EtcdCompare::Target::Lease:
            body["target"] = "LEASE";
            body["lease"] = std::to_string(c.number);
            break;
    }
    return body;
}

}  // namespace

json etcd_txn_body(const std::vector<EtcdCompare>& compare, const std::vector<EtcdOp>& success,
                   const std::vector<EtcdOp>& failure) {
    json body{{"compare", json::array()}, {"success", json::array()}, {"failure", json::array()}};
    for (const auto& c : compare) body["compare"].push_back(compare_json(c));
    for (const auto& op : success) body["success"].push_back(op_json(op));
    for (const auto& op : failure) body["failure"].push_back(op_json(op));
    return body;
}

std::vector<EtcdKv> etcd_parse_kvs(const json& range_answer) {
    std::vector<EtcdKv> out;
    if (!range_answer.is_object() || !range_answer.contains("kvs")) return out;
    try {
        for (const auto& kv : range_answer.at("kvs")) {
            EtcdKv e;
            e.key = etcd_unbase64(kv.value("key", ""));
            e.value = etcd_unbase64(kv.value("value", ""));
            e.create_revision = etcd_number(kv.value("create_revision", json()));
            e.mod_revision = etcd_number(kv.value("mod_revision", json()));
            e.lease = etcd_number(kv.value("lease", json()));
            out.push_back(std::move(e));
        }
    } catch (const json::exception& e) {
        throw EtcdError(fmt::format("etcd answered a key-value list it should not: {}", e.what()));
    }
    return out;
}

EtcdTxnResult etcd_parse_txn(const json& answer) {
    EtcdTxnResult r;
    try {
        r.succeeded = answer.value("succeeded", false);
        if (!answer.contains("responses")) return r;
        for (const auto& resp : answer.at("responses"))
            if (resp.contains("response_range"))
                r.ranges.push_back(etcd_parse_kvs(resp.at("response_range")));
    } catch (const json::exception& e) {
        throw EtcdError(fmt::format("etcd answered a transaction it should not: {}", e.what()));
    }
    return r;
}

std::string etcd_error_message(const json& body) {
    if (!body.is_object()) return {};
    if (auto m = body.find("message"); m != body.end() && m->is_string()) return *m;
    if (auto e = body.find("error"); e != body.end()) {
        if (e->is_string()) return *e;
        if (e->is_object()) return etcd_error_message(*e);
    }
    return {};
}

// The module is loaded here, so that a missing one stops repmgr at start-up
// rather than at the first etcd call.
EtcdClient::EtcdClient(EtcdOptions options)
    : options_(std::move(options)), http_(http_module()) {
    clients_.resize(options_.endpoints.size());
}

EtcdClient::~EtcdClient() = default;

std::string EtcdClient::current_endpoint() const {
    return options_.endpoints.empty() ? std::string() : options_.endpoints[current_].url();
}

http::Client& EtcdClient::client(size_t index) {
    auto& c = clients_[index];
    if (!c) {
        const EtcdEndpoint& e = options_.endpoints[index];
        http::ClientOptions o{e.url(), {}, {}, {}};
        if (e.tls) o = {e.url(), options_.cacert, options_.cert, options_.key};
        c = http_.make_client(o);
    }
    return *c;
}

namespace {

std::string answer_error(const http::Answer& res) {
    std::string message = etcd_error_message(json::parse(res.body, nullptr, false));
    if (message.empty()) message = res.body.substr(0, 200);
    return fmt::format("HTTP {}: {}", res.status, message);
}

// A stream's error arrives in an HTTP 200 answer.
bool stream_error(const json& answer) {
    auto e = answer.find("error");
    return e != answer.end() && e->is_object();
}

}  // namespace

json EtcdClient::post_to(size_t index, std::string_view path, const json& body, int timeout_ms,
                         bool& unreachable) {
    unreachable = false;
    http::Post request{std::string(path), body.dump(), "application/json", {}, timeout_ms};
    if (!token_.empty()) request.headers.emplace_back("Authorization", token_);
    http::Answer res = client(index).post(request);
    const std::string url = options_.endpoints[index].url();
    if (!res.answered) {
        unreachable = res.surely_not_sent;
        throw EtcdError(fmt::format("etcd at {} did not answer {}: {}", url, path, res.error));
    }
    if (res.status == 503) {  // no leader, or the member is not ready: try another
        unreachable = true;
        throw EtcdError(fmt::format("etcd at {} cannot serve {}: {}", url, path, answer_error(res)));
    }
    if (res.status != 200)
        throw EtcdError(fmt::format("etcd at {} refused {}: {}", url, path, answer_error(res)));
    json answer = json::parse(res.body, nullptr, false);
    if (answer.is_discarded() || !answer.is_object())
        throw EtcdError(fmt::format("etcd at {} answered {} with something that is not a JSON "
                                    "object",
                                    url, path));
    if (stream_error(answer)) {
        // grpc_code 14 (unavailable: no leader): another member may serve it.
        const json& e = answer.at("error");
        unreachable = e.contains("grpc_code") && e.at("grpc_code") == 14;
        throw EtcdError(fmt::format("etcd at {} refused {}: {}", url, path, etcd_error_message(answer)));
    }
    return answer;
}

void EtcdClient::authenticate(size_t index, int timeout_ms) {
    bool unreachable = false;
    token_.clear();
    json answer = post_to(index, "/v3/auth/authenticate",
                          json{{"name", options_.user}, {"password", options_.password}},
                          timeout_ms, unreachable);
    token_ = answer.value("token", "");
    if (token_.empty())
        throw EtcdError(fmt::format("etcd at {} gave no token to user \"{}\"",
                                    options_.endpoints[index].url(), options_.user));
}

json EtcdClient::post(std::string_view path, const json& body) {
    // Whatever an answer holds, the callers see EtcdError only.
    try {
        return post_checked(path, body);
    } catch (const json::exception& e) {
        throw EtcdError(fmt::format("etcd answered {} with unexpected JSON: {}", path, e.what()));
    }
}

json EtcdClient::post_checked(std::string_view path, const json& body) {
    if (options_.endpoints.empty()) throw EtcdError("no etcd endpoint is configured");
    using namespace std::chrono;
    const auto deadline = steady_clock::now() + milliseconds(options_.timeout_ms);
    const size_t n = options_.endpoints.size();
    // Each endpoint gets a share, so that one that swallows packets leaves
    // time for the others.
    const int share_ms = std::max(250, options_.timeout_ms / static_cast<int>(n));
    std::string errors;
    for (size_t attempt = 0; attempt < n; ++attempt) {
        size_t index = (current_ + attempt) % n;
        int left_ms = static_cast<int>(
            duration_cast<milliseconds>(deadline - steady_clock::now()).count());
        if (left_ms <= 0) break;
        int timeout_ms = std::min(share_ms, left_ms);
        bool unreachable = false;
        try {
            if (!options_.user.empty() && token_.empty()) authenticate(index, timeout_ms);
            json answer;
            try {
                answer = post_to(index, path, body, timeout_ms, unreachable);
            } catch (const EtcdError& e) {
                // An expired token: authenticate again, once.
                if (options_.user.empty() || unreachable ||
                    std::string(e.what()).find("HTTP 401") == std::string::npos)
                    throw;
                authenticate(index, timeout_ms);
                answer = post_to(index, path, body, timeout_ms, unreachable);
            }
            current_ = index;
            return answer;
        } catch (const EtcdError& e) {
            errors += (errors.empty() ? "" : "; ") + std::string(e.what());
            if (!unreachable) throw EtcdError(errors);
        }
    }
    throw EtcdError(errors.empty() ? fmt::format("no etcd endpoint answered {} within {} ms", path,
                                                 options_.timeout_ms)
                                   : errors);
}

std::vector<EtcdKv> EtcdClient::range(const std::string& key, bool prefix) {
    json body{{"key", etcd_base64(key)}};
    if (prefix) body["range_end"] = etcd_base64(etcd_range_end(key));
    return etcd_parse_kvs(post("/v3/kv/range", body));
}

std::optional<EtcdKv> EtcdClient::get(const std::string& key) {
    auto kvs = range(key);
    if (kvs.empty()) return std::nullopt;
    return kvs.front();
}

EtcdTxnResult EtcdClient::txn(const std::vector<EtcdCompare>& compare,
                              const std::vector<EtcdOp>& success,
                              const std::vector<EtcdOp>& failure) {
    return etcd_parse_txn(post("/v3/kv/txn", etcd_txn_body(compare, success, failure)));
}

void EtcdClient::put(const std::string& key, const std::string& value, long long lease) {
    json body{{"key", etcd_base64(key)}, {"value", etcd_base64(value)}};
    if (lease) body["lease"] = std::to_string(lease);
    post("/v3/kv/put", body);
}

long long EtcdClient::grant(int ttl_s) {
    json answer = post("/v3/lease/grant", json{{"TTL", std::to_string(ttl_s)}});
    if (std::string error = etcd_error_message(answer); !error.empty())
        throw EtcdError("etcd refused a lease: " + error);
    long long id = etcd_number(answer.value("ID", json()));
    if (id == 0) throw EtcdError("etcd granted no lease id");
    return id;
}

long long EtcdClient::keepalive(long long lease) {
    json answer = post("/v3/lease/keepalive", json{{"ID", std::to_string(lease)}});
    // A stream in gRPC: the gateway answers one message, {"result": {...}};
    // no TTL (or 0) means the lease is gone.
    const json& result = answer.contains("result") ? answer.at("result") : answer;
    if (!result.is_object()) return 0;
    return std::max(0LL, etcd_number(result.value("TTL", json())));
}

long long EtcdClient::time_to_live(long long lease) {
    json answer = post("/v3/lease/timetolive", json{{"ID", std::to_string(lease)}});
    return std::max(0LL, etcd_number(answer.value("TTL", json())));
}

void EtcdClient::revoke(long long lease) {
    post("/v3/lease/revoke", json{{"ID", std::to_string(lease)}});
}

std::vector<EtcdClient::EndpointHealth> EtcdClient::health() {
    std::vector<EndpointHealth> out;
    for (size_t i = 0; i < options_.endpoints.size(); ++i) {
        EndpointHealth h{options_.endpoints[i].url(), {}, false};
        bool unreachable = false;
        try {
            if (!options_.user.empty() && token_.empty()) authenticate(i, options_.timeout_ms);
            json status = post_to(i, "/v3/maintenance/status", json::object(), options_.timeout_ms,
                                  unreachable);
            // Member ids are unsigned 64-bit: compared as the text etcd sends.
            json leader = status.value("leader", json());
            json member = status.value("header", json::object()).value("member_id", json());
            h.is_leader = !leader.is_null() && leader == member;
        } catch (const EtcdError& e) {
            h.error = e.what();
        }
        out.push_back(std::move(h));
    }
    return out;
}

}  // namespace repmgr
