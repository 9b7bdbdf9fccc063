// repmgr node status [--csv] [--json]: what this node is doing right now.
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "actions/actions.hpp"
#include "actions/node_inspect.hpp"
#include "util/json_text.hpp"
#include "util/mask.hpp"
#include "util/table.hpp"

namespace repmgr {
namespace {

std::string human_bytes(long long bytes) {
    constexpr const char* kUnits[] = {"bytes", "kB", "MB", "GB", "TB"};
    double value = static_cast<double>(bytes);
    size_t unit = 0;
    while (value >= 1024.0 && unit + 1 < std::size(kUnits)) {
        value /= 1024.0;
        ++unit;
    }
    return unit == 0 ? fmt::format("{} bytes", bytes) : fmt::format("{:.0f} {}", value, kUnits[unit]);
}

std::string running_role(const NodeServerFacts& s) { return s.in_recovery ? "standby" : "primary"; }

nlohmann::json to_json(const Context& ctx, const CheckInputs& in,
                       const std::vector<CheckResult>& issues) {
    const NodeServerFacts& s = in.server;
    nlohmann::json node = {{"id", in.node_id},
                           {"name", in.node_name},
                           {"conninfo", mask_passwords(ctx.config.conninfo)},
                           {"registered", in.meta.self.has_value()}};
    if (in.meta.self) {
        node["registered_as"] = node_role_label(in.meta.self->type);
        node["active"] = in.meta.self->active;
        node["location"] = in.meta.self->location;
        node["priority"] = in.meta.self->priority;
    }
    nlohmann::json server = {{"version", s.version},
                             {"role", running_role(s)},
                             {"timeline", s.timeline},
                             {"lsn", format_lsn(s.current_lsn)},
                             {"data_size_bytes", s.database_size_bytes},
                             {"max_wal_senders", s.max_wal_senders},
                             {"max_replication_slots", s.max_replication_slots}};
    nlohmann::json replication = nullptr;
    if (s.in_recovery) {
        replication = {{"receive_lsn", format_lsn(s.replay.receive)},
                       {"replay_lsn", format_lsn(s.replay.replay)},
                       {"replay_paused", s.replay.paused},
                       {"lag_seconds", s.lag_seconds ? nlohmann::json(*s.lag_seconds) : nullptr},
                       {"lag_bytes", json_or_null(lag_bytes(in))},
                       {"wal_receiver", s.wal_receiver ? s.wal_receiver->status : "none"}};
    }
    nlohmann::json upstream = nullptr;
    if (in.upstream)
        upstream = {{"id", in.upstream->node.id},
                    {"name", in.upstream->node.name},
                    {"reachable", in.upstream->reachable},
                    {"streaming", in.upstream->streams_to_us}};
    nlohmann::json downstream = nlohmann::json::array();
    for (const auto& d : s.downstream)
        downstream.push_back({{"application_name", d.application_name},
                              {"client_addr", d.client_addr},
                              {"state", d.state},
                              {"sync_state", d.sync_state},
                              {"lag_bytes", json_or_null(d.replay_lag_bytes)}});
    nlohmann::json slots = nlohmann::json::array();
    for (const auto& sl : s.slots)
        slots.push_back({{"name", sl.name},
                         {"type", sl.type},
                         {"active", sl.active},
                         {"retained_bytes", json_or_null(sl.retained_bytes)}});
    const ArchiveFacts& a = s.archive;
    nlohmann::json archiving = {{"archive_mode", a.archive_mode},
                                {"archive_command", a.archive_command},
                                {"archived_count", a.archived_count},
                                {"failed_count", a.failed_count},
                                {"last_archived_wal", a.last_archived_wal},
                                {"last_failed_wal", a.last_failed_wal},
                                {"last_failed_time", a.last_failed_time},
                                {"ready_count", json_or_null(a.ready_count)}};
    nlohmann::json last_event = nullptr;
    if (in.meta.last_event)
        last_event = {{"event", in.meta.last_event->event},
                      {"successful", in.meta.last_event->successful},
                      {"timestamp", in.meta.last_event->timestamp},
                      {"details", in.meta.last_event->details}};
    nlohmann::json issue_list = nlohmann::json::array();
    for (const auto& r : issues)
        issue_list.push_back({{"check", check_label(r.kind)},
                              {"status", status_name(r.status)},
                              {"detail", r.summary}});
    return {{"node", node},           {"server", server},       {"replication", replication},
            {"upstream", upstream},   {"downstream", downstream}, {"slots", slots},
            {"archiving", archiving}, {"last_event", last_event}, {"issues", issue_list}};
}

// "Key: value" lines, the way repmgr prints node status (also the CSV rows).
std::vector<std::pair<std::string, std::string>> status_lines(const Context& ctx,
                                                              const CheckInputs& in) {
    const NodeServerFacts& s = in.server;
    std::vector<std::pair<std::string, std::string>> out;
    out.emplace_back("PostgreSQL version", s.version);
    out.emplace_back("Total data size", human_bytes(s.database_size_bytes));
    out.emplace_back("Conninfo", mask_passwords(ctx.config.conninfo));
    out.emplace_back("Role", running_role(s));
    if (in.meta.self)
        out.emplace_back("Registered as",
                         fmt::format("{}{}", node_role_label(in.meta.self->type),
                                     in.meta.self->active ? "" : " (inactive)"));
    else
        out.emplace_back("Registered as", in.meta.error.empty() ? "not registered"
                                                                : "unknown: " + in.meta.error);
    out.emplace_back("Timeline", std::to_string(s.timeline));
    if (s.in_recovery) {
        std::string upstream = "none recorded";
        if (in.upstream)
            upstream = fmt::format("\"{}\" (ID: {}){}", in.upstream->node.name,
                                   in.upstream->node.id,
                                   !in.upstream->reachable ? ", unreachable"
                                   : in.upstream->streams_to_us ? ", streaming"
                                                                : ", not streaming to this node");
        out.emplace_back("Upstream", upstream);
        out.emplace_back("WAL receiver", s.wal_receiver
                                             ? fmt::format("{} from {}:{}", s.wal_receiver->status,
                                                           s.wal_receiver->sender_host,
                                                           s.wal_receiver->sender_port.value_or(0))
                                             : "not running");
        out.emplace_back("Last received LSN", format_lsn(s.replay.receive));
        out.emplace_back("Last replayed LSN", format_lsn(s.replay.replay) +
                                                  (s.replay.paused ? " (replay paused)" : ""));
        auto bytes = lag_bytes(in);
        out.emplace_back("Replication lag",
                         fmt::format("{}, {}",
                                     s.lag_seconds ? fmt::format("{:.0f} second(s)", *s.lag_seconds)
                                                   : "unknown seconds",
                                     bytes ? fmt::format("{} bytes", *bytes) : "unknown bytes"));
    } else {
        out.emplace_back("Current LSN", format_lsn(s.current_lsn));
        out.emplace_back("Replication lag", "n/a");
    }
    out.emplace_back("Replication connections",
                     fmt::format("{} (of maximal {})", s.downstream.size(), s.max_wal_senders));
    for (const auto& d : s.downstream)
        out.emplace_back(fmt::format("  Downstream \"{}\"", d.application_name),
                         fmt::format("{} from {}, {} bytes behind{}", d.state, d.client_addr,
                                     d.replay_lag_bytes.value_or(0),
                                     d.sync_state == "sync" || d.sync_state == "quorum"
                                         ? fmt::format(", synchronous ({})", d.sync_state)
                                         : std::string{}));
    size_t inactive = 0;
    for (const auto& sl : s.slots) inactive += sl.active ? 0 : 1;
    out.emplace_back("Replication slots",
                     fmt::format("{} (of maximal {}); {} inactive", s.slots.size(),
                                 s.max_replication_slots, inactive));
    for (const auto& sl : s.slots)
        out.emplace_back(fmt::format("  Slot \"{}\"", sl.name),
                         fmt::format("{}, {}, retains {}", sl.type,
                                     sl.active ? "active" : "inactive",
                                     sl.retained_bytes ? human_bytes(*sl.retained_bytes) : "no WAL"));
    const ArchiveFacts& a = s.archive;
    out.emplace_back("WAL archiving", a.archive_mode);
    out.emplace_back("Archive command", a.archive_command.empty() ? "(none)" : a.archive_command);
    out.emplace_back("WAL files archived", fmt::format("{} (failed: {}{})", a.archived_count,
                                                       a.failed_count,
                                                       a.last_failed_wal.empty()
                                                           ? ""
                                                           : ", last " + a.last_failed_wal +
                                                                 " at " + a.last_failed_time));
    out.emplace_back("WAL files pending archiving",
                     a.ready_count ? std::to_string(*a.ready_count) : "unknown (" + a.ready_error + ")");
    if (in.meta.last_event)
        out.emplace_back("Last event",
                         fmt::format("{} ({}) at {}{}", in.meta.last_event->event,
                                     in.meta.last_event->successful ? "successful" : "failed",
                                     in.meta.last_event->timestamp,
                                     in.meta.last_event->details.empty()
                                         ? ""
                                         : ": " + in.meta.last_event->details));
    else
        out.emplace_back("Last event", "none recorded");
    return out;
}

}  // namespace

int run_node_status(Context& ctx) {
    require_node_identity(ctx.config);
    Connection local = ctx.connect_local();
    CheckInputs in = inspect_node(ctx, local);

    // The same verdicts as "node check", shown as warnings; lag and archive
    // thresholds are node check's business.
    std::vector<CheckResult> issues;
    for (CheckKind kind : {CheckKind::Role, CheckKind::Upstream, CheckKind::Downstream,
                           CheckKind::Slots}) {
        CheckResult r = evaluate_check(kind, in);
        if (r.status != CheckStatus::Ok) issues.push_back(std::move(r));
    }

    if (ctx.opts.json) {
        std::cout << json_text(to_json(ctx, in, issues)) << "\n";
        return 0;
    }
    auto lines = status_lines(ctx, in);
    if (ctx.opts.csv) {
        std::vector<std::vector<std::string>> rows;
        for (auto& [key, value] : lines) {
            std::string k = key;
            k.erase(0, k.find_first_not_of(' '));
            rows.push_back({k, value});
        }
        std::cout << render_csv({"Key", "Value"}, rows);
        return 0;
    }
    std::cout << fmt::format("Node \"{}\" (ID: {}):\n", in.node_name, in.node_id);
    for (const auto& [key, value] : lines) std::cout << fmt::format("\t{}: {}\n", key, value);
    if (!issues.empty()) {
        ctx.log.warning("the following issue(s) were detected");
        for (const auto& r : issues)
            ctx.log.detail(fmt::format("{}: {}", check_label(r.kind), r.summary));
        ctx.log.hint("run \"repmgr node check\" for every check with its exit code");
    }
    return 0;
}

}  // namespace repmgr
