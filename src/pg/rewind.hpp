#pragma once

#include <optional>
#include <string>

#include "config/config.hpp"
#include "util/log.hpp"

namespace repmgr {

// What pg_controldata says about a (stopped) data directory.
struct ControlData {
    std::string state;                 // "shut down", "shut down in recovery", "in production", ...
    std::string checkpoint_lsn;        // "Latest checkpoint location"
    int checkpoint_timeline = 0;       // "Latest checkpoint's TimeLineID"
    std::string min_recovery_lsn;      // "Minimum recovery ending location" (0/0 when unset)
    int min_recovery_timeline = 0;     // "Min recovery ending loc's timeline"
    bool wal_log_hints = false;        // "wal_log_hints setting"
    bool data_checksums = false;       // "Data page checksum version" != 0

    bool shut_down_cleanly() const { return state == "shut down" || state == "shut down in recovery"; }
    bool was_standby() const { return state == "shut down in recovery" || state == "in archive recovery"; }
    // pg_rewind needs one of these on the target.
    bool rewindable() const { return wal_log_hints || data_checksums; }
};

// Parses pg_controldata output (pure; unit-testable).
ControlData parse_control_data(const std::string& output);

// Runs pg_controldata on a local data directory. Failure(BadConfig) when it cannot.
ControlData read_control_data(const Config& config, const std::string& data_directory);

// The full path of a PostgreSQL binary (pg_bindir or PATH).
std::string pg_binary_path(const Config& config, const std::string& name);

// pg_rewind of `data_directory` from the running server at `source_conninfo`.
// pg_rewind copies postgresql.conf, postgresql.auto.conf, pg_hba.conf and
// pg_ident.conf from the source: this node's own copies are saved first and put
// back afterwards (its port, its settings). Failure(ERR_REJOIN_FAIL) with
// pg_rewind's output when it fails. Returns pg_rewind's output.
std::string rewind_data_directory(const Config& config, Logger& log,
                                  const std::string& data_directory,
                                  const std::string& source_conninfo);

}  // namespace repmgr
