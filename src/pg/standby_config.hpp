#pragma once

#include <optional>
#include <string>

#include "util/guc_value.hpp"  // quote_guc_value, for the callers that write settings

namespace repmgr {

// What makes a PostgreSQL 12+ data directory a standby: standby.signal plus
// these settings in postgresql.auto.conf.
struct StandbySettings {
    std::string primary_conninfo;
    std::optional<std::string> primary_slot_name;
    std::string restore_command;           // empty = leave unset
    std::string recovery_min_apply_delay;  // empty = leave unset
};

// The primary_conninfo a standby uses to stream from `upstream_conninfo`:
// without dbname, with application_name=<node name>, and with the
// replication user when one is configured.
std::string build_primary_conninfo(const std::string& upstream_conninfo,
                                   const std::string& application_name,
                                   const std::string& replication_user);

// Rewrites the recovery settings in postgresql.auto.conf (other lines are
// kept) and creates standby.signal. Throws Failure(BadConfig) on I/O errors.
void write_standby_settings(const std::string& data_directory, const StandbySettings& settings);

// A setting's value as PostgreSQL reads it from postgresql.auto.conf (the
// quoting undone), if present.
std::optional<std::string> read_auto_conf_setting(const std::string& data_directory,
                                                  const std::string& key);

// Sets (or with nullopt removes) one setting in postgresql.auto.conf of a
// data directory, keeping the other lines: for a server that is not running
// (a running one takes ALTER SYSTEM). Throws Failure(BadConfig) on I/O errors.
void set_auto_conf_setting(const std::string& data_directory, const std::string& key,
                           const std::optional<std::string>& value);

}  // namespace repmgr
