#include "daemon/arbiter/etcd_arbiter.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "config/etcd_settings.hpp"
#include "util/json_text.hpp"

namespace repmgr::repmgrd {

using nlohmann::json;

namespace {

// A crash report outlives any failover it could start; etcd removes it.
constexpr int kCrashReportLeaseSeconds = 600;

std::optional<int> node_id_of(const std::optional<EtcdKv>& kv) {
    if (!kv) return std::nullopt;
    try {
        return std::stoi(kv->value);
    } catch (const std::exception&) {
        return 0;  // somebody else's key: held, by nobody we know
    }
}

std::optional<EtcdKv> first(const std::vector<EtcdKv>& kvs) {
    if (kvs.empty()) return std::nullopt;
    return kvs.front();
}

}  // namespace

struct EtcdArbiter::TermState {
    std::optional<EtcdKv> term_kv;
    int holder = 0;
    bool confirmed = false;
    std::vector<int> passed_over;
    bool live = false;                 // the unconfirmed claim's deadline has not passed
    std::optional<EtcdKv> leader_kv;
    std::optional<int> leader;         // the node holding the leader key

    std::string term_value(int new_holder, bool now_confirmed, std::vector<int> passed) const {
        return json{{"holder", new_holder}, {"confirmed", now_confirmed}, {"passed_over", passed}}
            .dump();
    }
    // The leader key as it must still be: as read, or absent.
    EtcdCompare leader_unchanged(const std::string& key) const {
        return leader_kv ? EtcdCompare::mod_revision_is(key, leader_kv->mod_revision)
                         : EtcdCompare::absent(key);
    }
};

EtcdArbiter::EtcdArbiter(const Config& config)
    : config_(config),
      prefix_(etcd_prefix(config)),
      client_(etcd_options(config)) {
    if (config.etcd_failsafe)
        no_claim_until_ = std::chrono::steady_clock::now() + std::chrono::seconds(config.etcd_ttl);
}

void EtcdArbiter::promise_no_claim(std::chrono::seconds seconds) {
    no_claim_until_ = std::max(no_claim_until_, std::chrono::steady_clock::now() + seconds);
}

std::optional<ArbiterAnswer> EtcdArbiter::promised_not_to_claim() const {
    auto left = no_claim_until_ - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return std::nullopt;
    return ArbiterAnswer{
        ArbiterAnswer::Result::Unreachable, 0,
        fmt::format("this node promised the primary not to take the leader key for {:.1f} s more "
                    "(etcd_failsafe: it could not reach etcd, or its repmgrd just started)",
                    std::chrono::duration<double>(left).count())};
}

std::string EtcdArbiter::term_key(const FailoverTerm& term) const {
    return fmt::format("{}term/{}/{}", prefix_, term.failed_primary_id, term.timeline);
}

// The term's claim, its deadline and the leader key, in one round trip.
EtcdArbiter::TermState EtcdArbiter::read_state(const FailoverTerm& term) {
    const std::string key = term_key(term);
    EtcdTxnResult r = client_.txn(
        {}, {EtcdOp::range(key), EtcdOp::range(key + "/live"), EtcdOp::range(leader_key())});
    TermState st;
    if (r.ranges.size() != 3) throw EtcdError("etcd answered an incomplete transaction");
    st.term_kv = first(r.ranges[0]);
    st.live = !r.ranges[1].empty();
    st.leader_kv = first(r.ranges[2]);
    st.leader = node_id_of(st.leader_kv);
    if (st.term_kv) {
        json v = json::parse(st.term_kv->value, nullptr, false);
        if (v.is_object()) {
            st.holder = v.value("holder", 0);
            st.confirmed = v.value("confirmed", false);
            st.passed_over = v.value("passed_over", std::vector<int>{});
        }
    }
    return st;
}

template <typename Call>
ArbiterAnswer EtcdArbiter::ask(Call&& call) {
    try {
        return call();
    } catch (const EtcdError& e) {
        return ArbiterAnswer{ArbiterAnswer::Result::Unreachable, 0, e.what()};
    } catch (const std::exception& e) {
        return ArbiterAnswer{ArbiterAnswer::Result::Unreachable, 0,
                             fmt::format("etcd answered something unexpected: {}", e.what())};
    }
}

ArbiterView EtcdArbiter::read(const FailoverTerm& term) {
    ArbiterView v;
    v.name = "etcd";
    v.required = true;
    v.quorum = true;
    try {
        TermState st = read_state(term);
        v.reachable = true;
        if (st.term_kv)
            v.claim = TermClaim{st.holder, !st.confirmed && !st.live, st.passed_over};
        else if (st.leader)
            // Nobody claimed the term, but a node holds the leader key: the
            // failed primary still renewing its lease (it is alive: the
            // standbys wait), or a node already chosen.
            v.claim = TermClaim{*st.leader, false, {}};
    } catch (const std::exception&) {  // EtcdError, or a claim of another shape
        v.claim.reset();
    }
    return v;
}

ArbiterAnswer EtcdArbiter::claim(const FailoverTerm& term, int candidate, int confirm_within_s) {
    if (auto promised = promised_not_to_claim()) return *promised;
    return ask([&] {
        TermState st = read_state(term);
        const std::string key = term_key(term);
        const std::string leader_key = this->leader_key();
        using R = ArbiterAnswer::Result;
        if (st.term_kv) {
            bool mine = st.holder == candidate && (st.confirmed || st.live);
            return ArbiterAnswer{mine ? R::Granted : R::Refused, st.holder, {}};
        }
        if (st.leader && *st.leader != candidate) return ArbiterAnswer{R::Refused, *st.leader, {}};
        long long live_lease = client_.grant(std::max(1, confirm_within_s));
        std::vector<EtcdOp> writes{
            EtcdOp::put(key, st.term_value(candidate, false, {})),
            EtcdOp::put(key + "/live", std::to_string(candidate), live_lease)};
        if (!st.leader)
            writes.push_back(EtcdOp::put(leader_key, std::to_string(candidate),
                                         client_.grant(config_.etcd_ttl)));
        EtcdTxnResult r = client_.txn({EtcdCompare::absent(key), st.leader_unchanged(leader_key)},
                                      writes, {EtcdOp::range(key), EtcdOp::range(leader_key)});
        if (r.succeeded) return ArbiterAnswer{R::Granted, candidate, {}};
        // Someone was first: the term's holder, else the key's.
        TermState now = read_state(term);
        return ArbiterAnswer{R::Refused, now.term_kv ? now.holder : now.leader.value_or(0), {}};
    });
}

ArbiterAnswer EtcdArbiter::take_over(const FailoverTerm& term, int stale_holder, int candidate,
                                     int confirm_within_s) {
    if (auto promised = promised_not_to_claim()) return *promised;
    return ask([&] {
        using R = ArbiterAnswer::Result;
        TermState st = read_state(term);
        const std::string key = term_key(term);
        const std::string leader_key = this->leader_key();
        if (!st.term_kv || st.holder != stale_holder || st.confirmed || st.live)
            return ArbiterAnswer{R::Refused, st.holder, {}};
        // The failed primary's own hold expired, but its lease is renewed:
        // it is alive and may be lifting its fence. Never take its key.
        if (st.leader && *st.leader != stale_holder) return ArbiterAnswer{R::Refused, *st.leader, {}};
        if (st.leader && stale_holder == term.failed_primary_id)
            return ArbiterAnswer{R::Refused, stale_holder, {}};
        std::vector<int> passed = st.passed_over;
        passed.push_back(stale_holder);
        std::vector<EtcdOp> writes{
            EtcdOp::put(key, st.term_value(candidate, false, passed)),
            EtcdOp::put(key + "/live", std::to_string(candidate),
                        client_.grant(std::max(1, confirm_within_s))),
            EtcdOp::put(leader_key, std::to_string(candidate), client_.grant(config_.etcd_ttl))};
        EtcdTxnResult r = client_.txn(
            {EtcdCompare::mod_revision_is(key, st.term_kv->mod_revision),
             EtcdCompare::absent(key + "/live"), st.leader_unchanged(leader_key)},
            writes);
        return r.succeeded ? ArbiterAnswer{R::Granted, candidate, {}}
                           : ArbiterAnswer{R::Refused, 0, {}};
    });
}

ArbiterAnswer EtcdArbiter::confirm(const FailoverTerm& term, int candidate) {
    return ask([&] {
        using R = ArbiterAnswer::Result;
        TermState st = read_state(term);
        const std::string key = term_key(term);
        const std::string leader_key = this->leader_key();
        if (!st.term_kv || st.holder != candidate) return ArbiterAnswer{R::Refused, st.holder, {}};
        if (st.confirmed) return ArbiterAnswer{R::Granted, candidate, {}};
        // The claim, its deadline and the leader key, all still this node's.
        EtcdTxnResult r = client_.txn(
            {EtcdCompare::mod_revision_is(key, st.term_kv->mod_revision),
             EtcdCompare::value_is(key + "/live", std::to_string(candidate)),
             EtcdCompare::value_is(leader_key, std::to_string(candidate))},
            {EtcdOp::put(key, st.term_value(candidate, true, st.passed_over)),
             EtcdOp::remove(key + "/live")});
        return r.succeeded ? ArbiterAnswer{R::Granted, candidate, {}}
                           : ArbiterAnswer{R::Refused, 0, {}};
    });
}

void EtcdArbiter::release(const FailoverTerm& term, int candidate) {
    // Best effort: an unreleased claim expires with its lease anyway.
    ask([&] {
        TermState st = read_state(term);
        const std::string key = term_key(term);
        const std::string leader_key = this->leader_key();
        if (st.term_kv && st.holder == candidate && !st.confirmed)
            client_.txn({EtcdCompare::mod_revision_is(key, st.term_kv->mod_revision)},
                        {EtcdOp::remove(key), EtcdOp::remove(key + "/live")});
        // A standby giving its claim up gives the key up too; the primary
        // that held its own term (to lift its fence) keeps its key.
        if (candidate != term.failed_primary_id && st.leader == candidate)
            client_.txn({EtcdCompare::mod_revision_is(leader_key, st.leader_kv->mod_revision)},
                        {EtcdOp::remove(leader_key)});
        return ArbiterAnswer{ArbiterAnswer::Result::Granted, candidate, {}};
    });
}

ArbiterAnswer EtcdArbiter::report_crash(const FailoverTerm& term, int reporter) {
    return ask([&] {
        const std::string leader_key = this->leader_key();
        json report{{"node", term.failed_primary_id},
                    {"timeline", term.timeline},
                    {"reporter", reporter},
                    {"at_ms", etcd_now_ms()}};
        // The key goes with the report: the standbys need not wait for the
        // lease of a primary whose server is gone. The report is written
        // either way (the key may be gone already).
        EtcdOp write = EtcdOp::put(prefix_ + "crash", report.dump(),
                                   client_.grant(kCrashReportLeaseSeconds));
        client_.txn({EtcdCompare::value_is(leader_key, std::to_string(reporter))},
                    {EtcdOp::remove(leader_key), write}, {write});
        return ArbiterAnswer{ArbiterAnswer::Result::Granted, reporter, {}};
    });
}

std::optional<CrashReport> EtcdArbiter::read_crash_report() {
    try {
        auto kv = client_.get(prefix_ + "crash");
        if (!kv) return std::nullopt;
        json v = json::parse(kv->value, nullptr, false);
        if (!v.is_object()) return std::nullopt;
        long long now_ms = etcd_now_ms();  // against the reporter's clock
        return CrashReport{v.value("node", 0), v.value("timeline", 0), v.value("reporter", 0),
                           std::max(0LL, now_ms - v.value("at_ms", now_ms))};
    } catch (const std::exception&) {  // EtcdError, or a report of another shape
        return std::nullopt;
    }
}

std::string EtcdArbiter::write_zero_loss(const ZeroLossRecord& record) {
    const std::string key = prefix_ + "zero_loss";
    try {
        auto kv = client_.get(key);
        if (kv) {
            json old = json::parse(kv->value, nullptr, false);
            if (old.is_object() && old.value("version", 0LL) >= record.version) return {};
        }
        json v{{"candidates", record.candidate_ids},
               {"primary", record.primary_node_id},
               {"version", record.version}};
        EtcdTxnResult r = client_.txn(
            {kv ? EtcdCompare::mod_revision_is(key, kv->mod_revision) : EtcdCompare::absent(key)},
            {EtcdOp::put(key, v.dump())});
        return r.succeeded ? std::string{} : "another node wrote the record at the same time";
    } catch (const std::exception& e) {
        return e.what();
    }
}

std::optional<ZeroLossRecord> EtcdArbiter::read_zero_loss() {
    try {
        auto kv = client_.get(prefix_ + "zero_loss");
        if (!kv) return std::nullopt;
        json v = json::parse(kv->value, nullptr, false);
        if (!v.is_object()) return std::nullopt;
        ZeroLossRecord r;
        r.candidate_ids = v.value("candidates", std::vector<int>{});
        std::sort(r.candidate_ids.begin(), r.candidate_ids.end());
        r.primary_node_id = v.value("primary", 0);
        r.version = v.value("version", 0LL);
        return r;
    } catch (const std::exception&) {  // EtcdError, or a record of another shape
        return std::nullopt;
    }
}

Leadership EtcdArbiter::hold_leadership(int node_id, bool may_acquire) {
    Leadership l;
    l.applies = true;
    l.ttl_s = config_.etcd_ttl;
    const std::string key = leader_key();
    const std::string me = std::to_string(node_id);
    try {
        auto leader = client_.get(key);
        if (leader && leader->value == me) {
            // Its own lease, or the one its claim took as a standby, or one
            // from before a restart of repmgrd: the key names the lease.
            if (leader->lease != 0 && client_.keepalive(leader->lease) > 0) {
                l.held = true;
                l.holder = node_id;
            }
            // A key without a (live) lease would never expire: not held.
        } else if (leader) {
            l.holder = node_id_of(leader).value_or(0);
        }
        if (!l.held && l.holder == 0 && !leader && may_acquire) {
            long long lease = client_.grant(config_.etcd_ttl);
            EtcdTxnResult r = client_.txn({EtcdCompare::absent(key)},
                                          {EtcdOp::put(key, me, lease)}, {EtcdOp::range(key)});
            if (r.succeeded) {
                l.held = true;
                l.holder = node_id;
            } else {
                client_.revoke(lease);
                if (!r.ranges.empty()) l.holder = node_id_of(first(r.ranges[0])).value_or(0);
            }
        }
        l.reachable = true;
    } catch (const EtcdError& e) {
        l.error = e.what();
    } catch (const std::exception& e) {  // never let an answer stop repmgrd
        l.error = fmt::format("unexpected answer from etcd: {}", e.what());
    }
    return l;
}

ArbiterAnswer EtcdArbiter::report_node(const NodeReport& r) {
    return ask([&] {
        json v{{"name", r.name},
               {"role", r.role},
               {"upstream", json_or_null(r.upstream_id)},
               {"server_up", r.server_up},
               {"in_recovery", r.in_recovery},
               {"reason", r.reason},
               {"at_ms", etcd_now_ms()}};
        const std::string key = fmt::format("{}nodes/{}", prefix_, r.node_id);
        if (r.server_up && r.in_recovery) {
            EtcdOp put = EtcdOp::put(key, v.dump());
            client_.txn({EtcdCompare::value_is(leader_key(), std::to_string(r.node_id))},
                        {EtcdOp::remove(leader_key()), put}, {put});
        } else {
            client_.put(key, v.dump());
        }
        return ArbiterAnswer{ArbiterAnswer::Result::Granted, r.node_id, {}};
    });
}

}  // namespace repmgr::repmgrd
