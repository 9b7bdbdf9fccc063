#pragma once

#include <optional>
#include <string>

#include "util/log.hpp"

namespace repmgr {

struct BasebackupRequest {
    std::string binary;            // pg_basebackup, with pg_bindir applied
    std::string target;            // destination data directory (exists, empty)
    std::string source_conninfo;   // server to copy from
    bool fast_checkpoint = false;  // -c fast
    bool show_progress = false;    // --progress (when stdout is a terminal)
    std::optional<std::string> slot_name;  // -S: stream the backup's WAL through our slot
    std::string tablespace_mapping;        // OLDDIR=NEWDIR -> -T
    std::string extra_options;             // pg_basebackup_options from repmgr.conf
    int timeout_secs = 0;                  // pg_basebackup_timeout (0 = none)
};

// Runs pg_basebackup -X stream (unless the user's options pick another WAL
// method). Without a terminal its output is captured and shown only on failure.
// Throws Failure(ERR_BAD_BASEBACKUP) with pg_basebackup's own words as DETAIL,
// also when it was killed at pg_basebackup_timeout.
void run_basebackup(const BasebackupRequest& request, Logger& log);

}  // namespace repmgr
