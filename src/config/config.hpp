#pragma once

#include <optional>
#include <string>
#include <vector>

namespace repmgr {

// Every setting of repmgr.conf, typed. Defaults and bounds are not written here:
// they come from the descriptor table in settings.cpp, the single source for
// parsing, validation, --help text and reload.
struct Config {
    // identity
    std::string cluster;
    int node_id = 0;
    std::string node_name;
    std::string conninfo;
    int upstream_node_id = 0;  // 0 = not set
    std::string data_directory;
    std::string location;
    std::string replication_user;
    // binaries and copying
    std::string pg_bindir;
    std::string repmgr_bindir;
    std::string pg_basebackup_options;
    std::string rsync_options;
    std::string ssh_options;
    int ssh_timeout = 0;
    // Deadlines of the programs repmgr runs itself (seconds; 0 = none, see
    // settings.cpp for why the copies have none by default).
    int pg_ctl_timeout = 0;  // beyond pg_ctl's own -t wait
    int pg_basebackup_timeout = 0;
    int pg_rewind_timeout = 0;
    int rsync_timeout = 0;
    std::string remote_config_file;  // %n/%a: path of other nodes' repmgr.conf (ssh)
    std::string pg_ctl_options;
    std::string tablespace_mapping;
    bool use_replication_slots = false;
    std::string restore_command;
    std::string recovery_min_apply_delay;
    // failover
    std::string failover;
    int priority = 0;
    std::string promote_command;
    std::string follow_command;
    int command_timeout = 0;  // promote/follow/service_* commands
    int reconnect_attempts = 0;
    int reconnect_interval = 0;
    int monitor_interval_secs = 0;
    int master_response_timeout = 0;
    int retry_promote_interval_secs = 0;
    int promote_check_timeout = 0;
    int promote_check_interval = 0;
    int shutdown_check_timeout = 0;
    int standby_reconnect_timeout = 0;
    int standby_catchup_timeout = 0;
    int primary_follow_timeout = 0;
    int witness_sync_interval = 0;
    std::string primary_fencing;       // rejoin|stop|none
    bool primary_isolation_fencing = false;
    int election_rerun_interval = 0;
    int primary_restart_grace = 0;
    int fence_demote_timeout = 0;  // seconds fenced before a restart as standby (0: never)
    int guard_timeout = 0;         // repmgrd --guard: heartbeat age that arms it (0: no guard)
    bool monitoring_history = false;
    // arbiter (docs/etcd.md)
    std::string arbiter;               // witness|etcd
    std::string etcd_endpoints;        // comma-separated URLs
    std::string etcd_prefix;           // empty: /repmgr/<cluster>/
    int etcd_ttl = 0;                  // seconds of the leader lease
    std::string etcd_cacert;
    std::string etcd_cert;
    std::string etcd_key;
    std::string etcd_user;
    std::string etcd_password;
    bool etcd_failsafe = false;        // stay writable while etcd is down for every node
    // zero data loss (docs/failover.md)
    std::string synchronous;           // off|on|strict
    int synchronous_standby_count = 0;
    int failover_max_lag_bytes = 0;    // 0 = no bound
    int failover_max_lag_secs = 0;     // 0 = no bound
    // service commands (used instead of pg_ctl when set)
    std::string service_start_command;
    std::string service_stop_command;
    std::string service_restart_command;
    std::string service_reload_command;
    std::string service_promote_command;
    // repmgr daemon start|stop (else repmgrd -d / SIGTERM)
    std::string repmgrd_service_start_command;
    std::string repmgrd_service_stop_command;
    std::string repmgrd_pid_file;
    // events and logging
    std::string event_notification_command;
    std::string event_notifications;
    int event_notification_timeout = 0;
    std::string loglevel;
    std::string logfacility;
    std::string logfile;
    // checks and operability
    int replication_lag_warning = 0;
    int replication_lag_critical = 0;
    int archive_ready_warning = 0;
    int archive_ready_critical = 0;
    std::string http_listen_address;
    int http_port = 0;
    std::string http_tls_cert;
    std::string http_tls_key;
    std::string http_allowed_clients;

    // Where this configuration was read from (empty when no file was used).
    std::string source_file;
};

// Result of loading: the config plus warnings the caller should log.
struct LoadedConfig {
    Config config;
    std::vector<std::string> warnings;
    // Set when the file holds a password (in conninfo or any other setting)
    // and group or others may read it: the caller warns and hints chmod 600.
    bool password_readable_by_others = false;
};

// Parses configuration text. `origin` names the file in messages. Throws
// Failure(BadConfig) listing every error found, each with file and line.
LoadedConfig parse_config(const std::string& text, const std::string& origin);

// Reads and parses a file; unreadable -> Failure(BadConfig). So is a file
// that someone other than this user (or root) could have changed: repmgr.conf
// holds commands repmgr runs (promote_command, event_notification_command,
// service_*_command), so writable by group or others, or owned by another
// user, it would let them run commands as this user.
LoadedConfig load_config_file(const std::string& path);

// Why a file with this mode and owner must not be trusted as repmgr.conf
// when `user` runs repmgr (nullopt: it may). Throws nothing; pure.
struct ConfigTrustProblem {
    std::string message;
    std::string detail;
    std::string hint;
};
std::optional<ConfigTrustProblem> config_trust_problem(const std::string& path, unsigned mode,
                                                        unsigned owner, unsigned user);

// A warning when `conninfo` names a passfile libpq will not use (group or
// world access, not a plain file); nullopt when it names none or a good one.
std::optional<std::string> passfile_warning(const std::string& conninfo);

// The seed's search order: -f (strict), ./repmgr.conf, /etc/repmgr.conf,
// $(pg_config --sysconfdir)/repmgr.conf. Returns nullopt when nothing is found
// and no -f was given.
std::optional<std::string> find_config_file(const std::optional<std::string>& explicit_path);

// A config with every default applied and no file.
Config default_config();

// Checks the keys an action needs (node, node_name, conninfo, cluster).
// Throws Failure(BadConfig) naming all that are missing.
void require_node_identity(const Config& config);

// The metadata schema for this cluster: "repmgr_<cluster>".
std::string schema_name(const Config& config);

}  // namespace repmgr
