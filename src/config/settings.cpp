#include "config/settings.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <strings.h>
#include <vector>

#include <fmt/format.h>

namespace repmgr {
namespace {

using T = SettingType;
constexpr int kMaxInt = 2147483647;

// Helpers keep each table row on one or two lines.
constexpr SettingDescriptor base(std::string_view name, std::string_view alias, SettingType type,
                                 std::string_view def, bool reload, std::string_view help) {
    SettingDescriptor d{};
    d.name = name;
    d.aliases = {alias, {}};
    d.type = type;
    d.default_value = def;
    d.reloadable = reload;
    d.help = help;
    return d;
}
constexpr SettingDescriptor text(std::string_view name, std::string_view alias,
                                 std::string_view def, bool reload, std::string_view help,
                                 std::string Config::* field) {
    SettingDescriptor d = base(name, alias, T::String, def, reload, help);
    d.text = field;
    return d;
}
constexpr SettingDescriptor integer(std::string_view name, std::string_view alias,
                                    std::string_view def, int min, int max, bool reload,
                                    std::string_view help, int Config::* field) {
    SettingDescriptor d = base(name, alias, T::Integer, def, reload, help);
    d.min = min;
    d.max = max;
    d.number = field;
    return d;
}
constexpr SettingDescriptor boolean(std::string_view name, std::string_view def, bool reload,
                                    std::string_view help, bool Config::* field) {
    SettingDescriptor d = base(name, {}, T::Boolean, def, reload, help);
    d.flag = field;
    return d;
}
constexpr SettingDescriptor choice(std::string_view name, std::string_view alias,
                                   std::string_view def, std::string_view choices, bool reload,
                                   std::string_view help, std::string Config::* field) {
    SettingDescriptor d = base(name, alias, T::Choice, def, reload, help);
    d.choices = choices;
    d.text = field;
    return d;
}

constexpr SettingDescriptor kSettings[] = {
    // identity
    text("cluster", "", "default", false, "name of the replication cluster; identical on all nodes (metadata schema repmgr_<cluster>; a repmgr 5 repmgr.conf has none: \"default\")", &Config::cluster),
    integer("node", "node_id", "0", 1, kMaxInt, false, "unique integer identifying this node", &Config::node_id),
    text("node_name", "", "", false, "unique name of this node (used as application_name)", &Config::node_name),
    text("conninfo", "", "", false, "libpq connection string of this node's repmgr database", &Config::conninfo),
    integer("upstream_node", "upstream_node_id", "0", 0, kMaxInt, false, "node to stream from (default: the primary)", &Config::upstream_node_id),
    text("data_directory", "pgdata", "", false, "this node's PostgreSQL data directory", &Config::data_directory),
    text("location", "", "default", false, "site of this node; failover prefers the primary's location", &Config::location),
    text("replication_user", "", "", false, "user for replication connections (default: conninfo user)", &Config::replication_user),
    // binaries and copying
    text("pg_bindir", "", "", true, "directory of the PostgreSQL binaries (pg_ctl, pg_basebackup, pg_rewind)", &Config::pg_bindir),
    text("repmgr_bindir", "", "", true, "directory of repmgr on remote hosts (for switchover over ssh)", &Config::repmgr_bindir),
    text("pg_basebackup_options", "", "", true, "extra options passed to pg_basebackup", &Config::pg_basebackup_options),
    text("rsync_options", "", "", true, "extra options passed to rsync", &Config::rsync_options),
    text("ssh_options", "", "-q -o ConnectTimeout=10", true, "options passed to ssh", &Config::ssh_options),
    integer("ssh_timeout", "", "900", 1, kMaxInt, true, "seconds a command run over ssh may take (a remote rejoin runs pg_rewind) before ssh and its children are killed", &Config::ssh_timeout),
    // A copy of a large cluster takes hours and its length is the size of
    // the data, not a sign of a hang: the copies have no deadline unless the
    // DBA sets one (with one, the child runs in its own process group and a
    // Ctrl-C on the terminal no longer reaches it).
    integer("pg_ctl_timeout", "", "60", 1, kMaxInt, true, "seconds pg_ctl may run beyond its own -t wait (shutdown_check_timeout, standby_reconnect_timeout or promote_check_timeout; reload and status have none) before it is killed with its process group", &Config::pg_ctl_timeout),
    integer("pg_basebackup_timeout", "", "0", 0, kMaxInt, true, "seconds pg_basebackup may run before it is killed with its process group (0 = no limit: a copy of a large cluster takes hours)", &Config::pg_basebackup_timeout),
    integer("pg_rewind_timeout", "", "0", 0, kMaxInt, true, "seconds pg_rewind may run before it is killed with its process group (0 = no limit; a rejoin run over ssh is still bounded by ssh_timeout)", &Config::pg_rewind_timeout),
    integer("rsync_timeout", "", "0", 0, kMaxInt, true, "seconds each rsync of a clone may run before it is killed with its process group (0 = no limit: a copy of a large cluster takes hours)", &Config::rsync_timeout),
    text("remote_config_file", "", "", true, "repmgr.conf path on other nodes for commands run over ssh (%n = node id, %a = node name); overrides the path each node recorded at registration (repl_nodes.config_file)", &Config::remote_config_file),
    text("pg_ctl_options", "", "", true, "extra options passed to pg_ctl", &Config::pg_ctl_options),
    text("tablespace_mapping", "", "", true, "OLDDIR=NEWDIR tablespace mapping for clone", &Config::tablespace_mapping),
    boolean("use_replication_slots", "false", false, "create and use a replication slot per standby", &Config::use_replication_slots),
    text("restore_command", "", "", true, "restore_command written to standby settings", &Config::restore_command),
    text("recovery_min_apply_delay", "", "", true, "recovery_min_apply_delay written to standby settings", &Config::recovery_min_apply_delay),
    // failover
    choice("failover", "", "manual", "automatic|manual", true, "whether repmgrd promotes/follows automatically", &Config::failover),
    integer("priority", "", "100", 0, kMaxInt, true, "promotion priority; 0 = never promote", &Config::priority),
    text("promote_command", "", "", true, "command repmgrd runs to promote this node", &Config::promote_command),
    text("follow_command", "", "", true, "command repmgrd runs to follow a new primary (%n = its id)", &Config::follow_command),
    integer("command_timeout", "", "300", 1, kMaxInt, true, "seconds promote_command, follow_command and service_*_command may run before they are killed with their process group", &Config::command_timeout),
    integer("reconnect_attempts", "", "3", 0, kMaxInt, true, "failed checks before the upstream is declared failed", &Config::reconnect_attempts),
    integer("reconnect_interval", "", "2", 0, kMaxInt, true, "seconds between reconnect attempts", &Config::reconnect_interval),
    integer("monitor_interval_secs", "", "2", 1, kMaxInt, true, "seconds between monitoring checks", &Config::monitor_interval_secs),
    integer("master_response_timeout", "primary_response_timeout", "2", 1, kMaxInt, true, "seconds a single upstream check may take", &Config::master_response_timeout),
    integer("retry_promote_interval_secs", "", "300", 0, kMaxInt, true, "seconds before a failed promotion is retried", &Config::retry_promote_interval_secs),
    integer("promote_check_timeout", "", "60", 1, kMaxInt, true, "seconds to wait for a promotion to complete", &Config::promote_check_timeout),
    integer("promote_check_interval", "", "1", 1, kMaxInt, true, "seconds between promotion checks", &Config::promote_check_interval),
    integer("shutdown_check_timeout", "", "60", 1, kMaxInt, true, "seconds to wait for a server to shut down", &Config::shutdown_check_timeout),
    integer("standby_reconnect_timeout", "", "60", 1, kMaxInt, true, "seconds to wait for a standby to stream again", &Config::standby_reconnect_timeout),
    integer("standby_catchup_timeout", "", "30", 1, kMaxInt, true, "seconds switchover waits for the standby to replay the primary's WAL", &Config::standby_catchup_timeout),
    integer("primary_follow_timeout", "", "60", 1, kMaxInt, true, "seconds standby follow -w waits for a primary to appear", &Config::primary_follow_timeout),
    // Fencing and re-elections (repmgrd failover). Default arithmetic: a dead
    // primary (connections refused at once) is noticed by a standby within one
    // monitor_interval_secs (2 s) and declared failed after reconnect_attempts (3)
    // failed checks reconnect_interval (2 s) apart, i.e. 2 + (3-1)*2 = 6 s after
    // the kill at worst; election, witness claim and pg_promote() add ~1 s:
    // a new primary in about 7 s (< 10 s). A primary that stalls does not answer
    // but does not refuse either: each check then takes master_response_timeout
    // (2 s), so three failed checks need a stall longer than
    // reconnect_attempts * max(reconnect_interval, master_response_timeout) = 6 s:
    // a 5 s stall never causes a failover.
    choice("primary_fencing", "", "rejoin", "rejoin|stop|none", true, "what repmgrd does with a primary that finds another node promoted on a newer timeline: rejoin it as a standby (pg_rewind), stop it, or only report", &Config::primary_fencing),
    boolean("primary_isolation_fencing", "true", true, "a primary (with failover=automatic) that sees no majority of the voting members, while the ones it cannot see (with the witness, if it sees it) could elect without it, makes itself read-only before the standbys could promote", &Config::primary_isolation_fencing),
    // 0: a crashed primary (its postmaster.pid left behind, its pid gone) is
    // reported at once; a supervisor that restarts PostgreSQL needs its
    // restart time here, or the standbys fail over while it restarts.
    integer("fence_demote_timeout", "", "1", 0, kMaxInt, true, "seconds an isolated primary stays fenced read-only (a default any session can turn off) before repmgrd restarts it as a standby, read-only for every session, until it rejoins or comes back with a majority; 0 never demotes", &Config::fence_demote_timeout),
    integer("guard_timeout", "", "0", 0, kMaxInt, false, "seconds without a heartbeat from repmgrd after which the guard process of a primary (repmgrd --guard) fences and demotes it when it sees no majority; 0 starts no guard (docs/failover.md, \"The guard\")", &Config::guard_timeout),
    integer("primary_restart_grace", "", "0", 0, kMaxInt, true, "seconds a primary's repmgrd waits for its crashed postmaster to come back before reporting the crash on the witness, so that the standbys fail over without waiting for reconnect_attempts", &Config::primary_restart_grace),
    integer("election_rerun_interval", "", "5", 1, kMaxInt, true, "seconds between failover elections after one was aborted", &Config::election_rerun_interval),
    integer("witness_sync_interval", "witness_repl_nodes_sync_interval_secs", "15", 1, kMaxInt, true, "seconds between witness metadata syncs", &Config::witness_sync_interval),
    // The arbiter (docs/etcd.md): the witness's claim row by default; a
    // leader key on an etcd lease for clusters that need a quorum surviving a
    // site. Not reloadable: a change of arbiter needs every repmgrd restarted.
    choice("arbiter", "", "witness", "witness|etcd", false, "who decides which standby may promote: witness (a row per failover on the witness server, when one is registered) or etcd (a leader key on an etcd lease; no witness needed)", &Config::arbiter),
    text("etcd_endpoints", "", "", false, "arbiter=etcd: comma-separated client URLs of the etcd members (http://host:2379 or https://...)", &Config::etcd_endpoints),
    text("etcd_prefix", "", "", false, "arbiter=etcd: key prefix of this cluster (default /repmgr/<cluster>/)", &Config::etcd_prefix),
    integer("etcd_ttl", "", "10", 5, 3600, false, "arbiter=etcd: seconds of the primary's leader lease; a primary that cannot renew it fences itself before it expires, and a standby may take the key over once it has", &Config::etcd_ttl),
    text("etcd_cacert", "", "", false, "arbiter=etcd: CA certificate file to verify the etcd members' certificates (https endpoints)", &Config::etcd_cacert),
    text("etcd_cert", "", "", false, "arbiter=etcd: client certificate file for etcd (with etcd_key)", &Config::etcd_cert),
    text("etcd_key", "", "", false, "arbiter=etcd: private key file of etcd_cert", &Config::etcd_key),
    text("etcd_user", "", "", false, "arbiter=etcd: user for etcd's authentication (with etcd_password)", &Config::etcd_user),
    text("etcd_password", "", "", false, "arbiter=etcd: password of etcd_user", &Config::etcd_password),
    boolean("etcd_failsafe", "false", false, "arbiter=etcd: a primary that cannot reach etcd stays writable while every other registered node streams from it and cannot reach etcd either (each promises not to take the leader key for etcd_ttl s); off: it fences itself before its lease can lapse (docs/etcd.md, \"Failsafe\")", &Config::etcd_failsafe),
    boolean("monitoring_history", "false", true, "write repl_monitor rows each interval", &Config::monitoring_history),
    // Zero data loss: with on/strict the primary's repmgrd owns
    // synchronous_standby_names and records who may have acknowledged commits,
    // so that failover promotes only one of those (docs/failover.md).
    choice("synchronous", "", "off", "off|on|strict", true, "off: asynchronous replication; on: the primary's repmgrd names synchronous standbys itself and failover promotes only one of them (falls back to asynchronous commits when no standby is eligible); strict: as on, but commits wait instead of falling back", &Config::synchronous),
    integer("synchronous_standby_count", "", "1", 1, 64, true, "number of synchronous standbys repmgrd names with synchronous=on|strict", &Config::synchronous_standby_count),
    integer("failover_max_lag_bytes", "", "0", 0, kMaxInt, true, "a standby that received more than this many bytes less WAL than the primary's last position it saw does not promote automatically (0 = no bound)", &Config::failover_max_lag_bytes),
    integer("failover_max_lag_secs", "", "0", 0, kMaxInt, true, "a standby whose newest received primary heartbeat is older than this many seconds, relative to when it last saw the primary, does not promote automatically (0 = no bound)", &Config::failover_max_lag_secs),
    // service commands
    text("service_start_command", "", "", true, "command to start PostgreSQL instead of pg_ctl", &Config::service_start_command),
    text("service_stop_command", "", "", true, "command to stop PostgreSQL instead of pg_ctl", &Config::service_stop_command),
    text("service_restart_command", "", "", true, "command to restart PostgreSQL instead of pg_ctl", &Config::service_restart_command),
    text("service_reload_command", "", "", true, "command to reload PostgreSQL instead of pg_ctl", &Config::service_reload_command),
    text("service_promote_command", "", "", true, "command to promote PostgreSQL instead of pg_promote()", &Config::service_promote_command),
    text("repmgrd_service_start_command", "", "", true, "command \"repmgr daemon start\" runs to start repmgrd (default: repmgrd -d)", &Config::repmgrd_service_start_command),
    text("repmgrd_service_stop_command", "", "", true, "command \"repmgr daemon stop\" runs to stop repmgrd (default: SIGTERM to its pid)", &Config::repmgrd_service_stop_command),
    text("repmgrd_pid_file", "", "", true, "pid file \"repmgr daemon start\" gives repmgrd (-p) when it starts repmgrd itself", &Config::repmgrd_pid_file),
    // events and logging
    text("event_notification_command", "", "", true, "command run for each event (%n %e %s %t %d %a %c %p)", &Config::event_notification_command),
    text("event_notifications", "", "", true, "comma-separated events to notify (default: all)", &Config::event_notifications),
    integer("event_notification_timeout", "", "30", 1, kMaxInt, true, "seconds event_notification_command may run before it is killed with its process group", &Config::event_notification_timeout),
    choice("loglevel", "log_level", "NOTICE", "DEBUG|INFO|NOTICE|WARNING|ERROR|ALERT|CRIT", true, "minimum level logged", &Config::loglevel),
    text("logfacility", "log_facility", "STDERR", false, "STDERR, or a syslog facility (LOCAL0..7, USER, DAEMON)", &Config::logfacility),
    text("logfile", "log_file", "", true, "file to log to instead of stderr", &Config::logfile),
    // checks and operability
    integer("replication_lag_warning", "", "300", 0, kMaxInt, true, "lag seconds for a WARNING in node check", &Config::replication_lag_warning),
    integer("replication_lag_critical", "", "600", 0, kMaxInt, true, "lag seconds for a CRITICAL in node check", &Config::replication_lag_critical),
    integer("archive_ready_warning", "", "16", 1, kMaxInt, true, "WAL files waiting to be archived for a WARNING in node check", &Config::archive_ready_warning),
    integer("archive_ready_critical", "", "128", 1, kMaxInt, true, "WAL files waiting to be archived for a CRITICAL in node check", &Config::archive_ready_critical),
    text("http_listen_address", "", "", false, "address repmgrd serves HTTP on (empty = off)", &Config::http_listen_address),
    integer("http_port", "", "0", 0, 65535, false, "port repmgrd serves HTTP on (0 = off)", &Config::http_port),
    text("http_tls_cert", "", "", false, "PEM certificate (chain) file: with http_tls_key, serve HTTPS", &Config::http_tls_cert),
    text("http_tls_key", "", "", false, "PEM private key file for http_tls_cert (both or neither)", &Config::http_tls_key),
    text("http_allowed_clients", "", "", false, "comma-separated addresses or CIDR ranges allowed to use the HTTP endpoints; others get 403 (empty = all)", &Config::http_allowed_clients),
};

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::optional<bool> parse_bool(std::string_view v) {
    for (auto t : {"1", "true", "on", "yes", "t", "y"})
        if (iequals(v, t)) return true;
    for (auto f : {"0", "false", "off", "no", "f", "n"})
        if (iequals(v, f)) return false;
    return std::nullopt;
}

}  // namespace

std::span<const SettingDescriptor> setting_descriptors() { return kSettings; }

const SettingDescriptor* find_setting(std::string_view key) {
    for (const auto& d : kSettings) {
        if (d.name == key) return &d;
        for (auto alias : d.aliases)
            if (!alias.empty() && alias == key) return &d;
    }
    return nullptr;
}

namespace {

// Optimal string alignment distance (Levenshtein plus adjacent swaps),
// ignoring ASCII case: "reconect_attempts" is 1 from "reconnect_attempts".
size_t typo_distance(std::string_view a, std::string_view b) {
    auto lower = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
    std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
    for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
                lower(a[i - 2]) == lower(b[j - 1]))
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[a.size()][b.size()];
}

}  // namespace

std::optional<std::string_view> closest_setting(std::string_view key) {
    // Short keys are two edits away from many names: ask for a closer match.
    const size_t limit = key.size() < 6 ? 1 : 2;
    std::optional<std::string_view> best;
    size_t best_distance = limit + 1;
    for (const auto& d : kSettings) {
        for (std::string_view candidate : {d.name, d.aliases[0], d.aliases[1]}) {
            if (candidate.empty()) continue;
            size_t distance = typo_distance(key, candidate);
            if (distance < best_distance) {
                best = candidate;
                best_distance = distance;
            }
        }
    }
    return best;
}

std::string apply_setting(const SettingDescriptor& d, std::string_view value, Config& config) {
    switch (d.type) {
        case T::String:
            config.*d.text = std::string(value);
            return {};
        case T::Integer: {
            long long n = 0;
            auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
            if (value.empty() || ec != std::errc() || end != value.data() + value.size())
                return fmt::format("\"{}\" must be an integer, got \"{}\"", d.name, value);
            if (n < d.min || n > d.max)
                return fmt::format("\"{}\" must be between {} and {}, got {}", d.name, d.min,
                                   d.max, n);
            config.*d.number = static_cast<int>(n);
            return {};
        }
        case T::Boolean: {
            auto b = parse_bool(value);
            if (!b)
                return fmt::format("\"{}\" must be a boolean (true/false, on/off, 1/0), got \"{}\"",
                                   d.name, value);
            config.*d.flag = *b;
            return {};
        }
        case T::Choice: {
            std::string_view rest = d.choices;
            while (!rest.empty()) {
                auto bar = rest.find('|');
                auto option = rest.substr(0, bar);
                if (iequals(option, value)) {
                    config.*d.text = std::string(option);
                    return {};
                }
                rest = bar == std::string_view::npos ? std::string_view{} : rest.substr(bar + 1);
            }
            return fmt::format("\"{}\" must be one of {}, got \"{}\"", d.name, d.choices, value);
        }
    }
    return "unknown setting type";
}

std::string setting_value(const SettingDescriptor& d, const Config& config) {
    switch (d.type) {
        case T::Integer:
            return std::to_string(config.*d.number);
        case T::Boolean:
            return config.*d.flag ? "true" : "false";
        default:
            return config.*d.text;
    }
}

}  // namespace repmgr
