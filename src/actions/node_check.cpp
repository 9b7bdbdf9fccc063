// repmgr node check [--role] [--replication-lag] [--slots] [--upstream]
//                   [--downstream] [--archive-ready] [--nagios] [--csv] [--json]
#include <algorithm>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "actions/actions.hpp"
#include "actions/node_inspect.hpp"
#include "db/etcd.hpp"
#include "util/json_text.hpp"
#include "util/table.hpp"

namespace repmgr {
namespace {

std::vector<CheckKind> selected_checks(const Context& ctx) {
    const Options& opts = ctx.opts;
    if (opts.node_checks.empty()) {
        std::vector<CheckKind> all(std::begin(kAllChecks), std::end(kAllChecks));
        if (ctx.config.arbiter != "etcd") std::erase(all, CheckKind::Etcd);
        return all;
    }
    // Always in the table's order, whatever order they were typed in.
    std::vector<CheckKind> out;
    for (CheckKind kind : kAllChecks)
        if (std::find(opts.node_checks.begin(), opts.node_checks.end(), check_option(kind)) !=
            opts.node_checks.end())
            out.push_back(kind);
    return out;
}

// The local server cannot be reached: every selected check is CRITICAL.
int report_unreachable_nagios(const std::vector<CheckKind>& checks, const Failure& f) {
    std::vector<CheckResult> results;
    std::string why = fmt::format("cannot connect to this node's server: {}",
                                  f.detail().empty() ? f.what() : f.detail());
    for (CheckKind kind : checks) results.push_back({kind, CheckStatus::Critical, why, {}});
    std::cout << nagios_report(results);
    return nagios_exit_code(CheckStatus::Critical);
}

void print_results(const Context& ctx, const std::vector<CheckResult>& results) {
    const std::string& name = ctx.config.node_name;
    if (ctx.opts.json) {
        nlohmann::json checks = nlohmann::json::array();
        for (const auto& r : results)
            checks.push_back({{"check", check_label(r.kind)},
                              {"option", check_option(r.kind)},
                              {"nagios_name", nagios_name(r.kind)},
                              {"status", status_name(r.status)},
                              {"detail", r.summary},
                              {"perfdata", r.perfdata}});
        nlohmann::json out = {{"node_id", ctx.config.node_id},
                              {"node_name", name},
                              {"status", status_name(worst_status(results))},
                              {"checks", checks}};
        std::cout << json_text(out) << "\n";
        return;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : results)
        rows.push_back({std::string(check_label(r.kind)), std::string(status_name(r.status)),
                        r.summary});
    if (ctx.opts.csv) {
        std::cout << render_csv({"Check", "Status", "Detail"}, rows);
    } else if (results.size() == 1) {
        // One named check: one line, as repmgr prints it for scripts.
        std::cout << fmt::format("{} ({})\n", status_name(results[0].status), results[0].summary);
    } else {
        std::cout << fmt::format("Node \"{}\" (ID: {}):\n", name, ctx.config.node_id)
                  << render_table({"Check", "Status", "Detail"}, rows);
    }
}

}  // namespace

namespace {

// The node list repmgrd keeps in etcd; a report of another shape is skipped.
std::vector<EtcdNodeReport> read_etcd_node_reports(EtcdClient& client, const std::string& prefix) {
    long long now_ms = etcd_now_ms();
    std::vector<EtcdNodeReport> out;
    for (const auto& kv : client.range(prefix, true)) {
        nlohmann::json v = nlohmann::json::parse(kv.value, nullptr, false);
        int id = 0;
        try {
            id = std::stoi(kv.key.substr(prefix.size()));
        } catch (const std::exception&) {
            continue;
        }
        if (!v.is_object()) continue;
        try {
            EtcdNodeReport r;
            r.node_id = id;
            r.role = v.value("role", "");
            if (v.contains("upstream") && v["upstream"].is_number_integer())
                r.upstream = v["upstream"].get<int>();
            r.server_up = v.value("server_up", false);
            r.in_recovery = v.value("in_recovery", false);
            r.reason = v.value("reason", "");
            // Against the writer's clock (etcd_now_ms).
            r.age_s = std::max(0LL, now_ms - v.value("at_ms", now_ms)) / 1000.0;
            out.push_back(std::move(r));
        } catch (const nlohmann::json::exception&) {
            continue;
        }
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.node_id < b.node_id; });
    return out;
}

}  // namespace

EtcdFacts read_etcd_facts(const Config& config) {
    EtcdFacts f;
    EtcdClient client(etcd_options(config));
    for (const auto& h : client.health()) {
        ++f.endpoints_total;
        if (h.error.empty())
            ++f.endpoints_answering;
        else if (f.first_error.empty())
            f.first_error = h.error;
    }
    if (f.endpoints_answering == 0) return f;
    try {
        if (auto kv = client.get(etcd_prefix(config) + "leader")) {
            try {
                f.leader = std::stoi(kv->value);
            } catch (const std::exception&) {
                f.leader = 0;
            }
            if (kv->lease) f.lease_left_s = client.time_to_live(kv->lease);
        }
        f.nodes = read_etcd_node_reports(client, etcd_prefix(config) + "nodes/");
    } catch (const EtcdError& e) {
        f.endpoints_answering = 0;
        f.first_error = e.what();
    }
    return f;
}

CheckInputs inspect_node(Context& ctx, Connection& local) {
    CheckInputs in;
    in.node_id = ctx.config.node_id;
    in.node_name = ctx.config.node_name;
    in.thresholds = CheckThresholds{ctx.config.replication_lag_warning,
                                    ctx.config.replication_lag_critical,
                                    ctx.config.archive_ready_warning,
                                    ctx.config.archive_ready_critical};
    in.server = read_node_server_facts(local);
    in.meta = read_metadata_facts(local, schema_name(ctx.config), ctx.config.node_id);
    if (ctx.config.arbiter == "etcd") in.etcd = read_etcd_facts(ctx.config);
    if (in.server.in_recovery) {
        if (auto upstream = expected_upstream(in.meta)) {
            ctx.log.debug("asking upstream node \"{}\" (ID: {}) about this standby",
                          upstream->name, upstream->id);
            in.upstream = read_upstream_facts(*upstream, ctx.config.node_name,
                                              ctx.config.master_response_timeout);
        }
    }
    return in;
}

int run_node_check(Context& ctx) {
    require_node_identity(ctx.config);
    std::vector<CheckKind> checks = selected_checks(ctx);
    if (ctx.config.replication_lag_warning > ctx.config.replication_lag_critical ||
        ctx.config.archive_ready_warning > ctx.config.archive_ready_critical)
        ctx.log.warning("a warning threshold is above its critical threshold in \"{}\"",
                        ctx.config.source_file);

    std::optional<Connection> local;
    try {
        local.emplace(ctx.connect_local());
    } catch (const Failure& f) {
        if (ctx.opts.nagios) return report_unreachable_nagios(checks, f);
        throw;
    }
    CheckInputs inputs;
    try {
        inputs = inspect_node(ctx, *local);
    } catch (const Failure& f) {
        if (!ctx.opts.nagios) throw;
        std::vector<CheckResult> results;
        for (CheckKind kind : checks)
            results.push_back({kind, CheckStatus::Unknown,
                               fmt::format("cannot read this node's state: {}", f.what()), {}});
        std::cout << nagios_report(results);
        return nagios_exit_code(CheckStatus::Unknown);
    }

    std::vector<CheckResult> results;
    for (CheckKind kind : checks) results.push_back(evaluate_check(kind, inputs));
    CheckStatus worst = worst_status(results);
    if (ctx.opts.nagios) {
        std::cout << nagios_report(results);
        return nagios_exit_code(worst);
    }
    print_results(ctx, results);
    return worst == CheckStatus::Ok ? 0 : to_int(ExitCode::NodeStatus);
}

}  // namespace repmgr
