#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "db/connection.hpp"
#include "notify/events.hpp"
#include "util/log.hpp"

namespace repmgr {

// Everything the command line can say. Flags keep the names users type.
struct Options {
    std::string group;  // "primary", "standby", "cluster", ...
    std::string verb;   // "register", "clone", "show", ...

    std::optional<std::string> config_file;  // -f/--config-file
    std::string host;                        // -h/--host (upstream)
    std::string port;                        // -p/--port
    std::string user;                        // -U/--username
    std::string dbname;                      // -d/--dbname (may be a full conninfo)
    std::string pgdata;                      // -D/--pgdata
    std::optional<std::string> log_level;    // -L/--log-level
    std::optional<std::string> pg_bindir;    // -b/--pg_bindir
    bool log_to_file = false;                // --log-to-file
    bool verbose = false;                    // -v/--verbose
    bool terse = false;                      // -t/--terse

    bool force = false;                      // -F/--force
    bool dry_run = false;                    // --dry-run
    bool wait = false;                       // -w/--wait
    bool fast_checkpoint = false;            // -c/--fast-checkpoint
    bool rsync_only = false;                 // -r/--rsync-only
    bool ignore_external_config_files = false;
    bool csv = false;                        // --csv
    bool json = false;                       // --json
    bool siblings_follow = false;            // --siblings-follow
    bool force_rewind = false;               // --force-rewind
    std::optional<int> upstream_node_id;     // --upstream-node-id
    std::optional<int> node_id;              // --node-id / --node
    std::string node_name;                   // --node-name
    std::optional<int> wait_sync;            // --wait-sync[=SECS]
    int limit = 20;                          // cluster event --limit
    bool all = false;                        // cluster event --all
    std::string event;                       // cluster event --event
    int keep_history = 0;                    // cluster cleanup -k/--keep-history
    std::vector<std::string> node_checks;    // node check --role, --slots, ... as typed
    bool nagios = false;                     // node check --nagios
    std::string action;                      // node service --action
    bool list_actions = false;               // node service --list-actions
    bool checkpoint = false;                 // node service --checkpoint
    std::string superuser;                   // -S/--superuser
    bool no_wait = false;                    // -W/--no-wait
    std::string remote_user;                 // -R/--remote-user (ssh)
    bool quiet = false;                      // -q/--quiet: errors only
    bool compact = false;                    // cluster show --compact
    bool detail = false;                     // daemon status --detail
    bool dump_config = false;                // --dump-config
    // standby switchover, as repmgr 5
    bool always_promote = false;             // --always-promote
    bool repmgrd_no_pause = false;           // --repmgrd-no-pause
    bool repmgrd_force_unpause = false;      // --repmgrd-force-unpause
    // standby clone, as repmgr 5
    bool replication_conf_only = false;      // --replication-conf-only
    std::optional<std::string> copy_external_config_files;  // --copy-external-config-files[=samepath|pgdata]
    std::string upstream_conninfo;           // --upstream-conninfo (primary_conninfo to write)
    std::string replication_user;            // --replication-user
    std::optional<std::string> recovery_min_apply_delay;  // --recovery-min-apply-delay
};

// What every action gets: options, configuration and logger. No globals.
struct Context {
    Options opts;
    Config config;
    bool have_config = false;
    Logger log;
    // repmgrd's notification queue; null in the CLI, which runs each
    // notification itself (with event_notification_timeout) before going on.
    NotificationSink* notifications = nullptr;

    // Connects to this node's own database (conninfo from repmgr.conf).
    Connection connect_local();
    // Conninfo built from -h/-p/-U/-d, or nullopt when none was given.
    std::optional<std::string> upstream_conninfo() const;
    // Records an event row through `conn` (may be null) and fires the
    // notification command.
    void record(Connection* conn, const std::string& event, bool ok, const std::string& details,
                std::optional<int> peer = std::nullopt);
    // Directory prefix for PostgreSQL binaries ("" = PATH).
    std::string pg_binary(const std::string& name) const;
};

}  // namespace repmgr
