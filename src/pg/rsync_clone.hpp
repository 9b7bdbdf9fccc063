#pragma once

#include <string>

#include "util/log.hpp"

namespace repmgr {

// The data directory of a server on another host (or this one), reached with
// ssh as the current OS user; ssh_options and rsync_options from repmgr.conf.
struct RsyncSource {
    std::string host;
    std::string data_directory;
    std::string ssh_options;
    std::string rsync_options;
    int ssh_timeout = 0;  // seconds for each ssh command (0 = none); not for rsync itself
    int rsync_timeout = 0;  // seconds for each rsync (0 = none)
};

// Logs in with ssh and checks that the data directory is there.
// Throws Failure(ERR_BAD_SSH) when ssh fails, Failure(ERR_BAD_RSYNC) when the
// directory is not on that host or rsync is missing.
void check_rsync_source(const RsyncSource& source, Logger& log);

// Copies the data directory with rsync --checksum (and --delete, so a resync
// drops files the source no longer has), leaving out what PostgreSQL documents
// as safe to skip and global/pg_control (copied last, see copy_control_file).
// Runs between pg_backup_start() and pg_backup_stop().
void copy_data_directory(const RsyncSource& source, const std::string& target, Logger& log);

// Copies global/pg_control: last, as a backup taken from a standby requires.
void copy_control_file(const RsyncSource& source, const std::string& target, Logger& log);

// Copies the WAL segments from `start_wal_file` on (and the timeline history
// files) after pg_backup_stop(): the WAL that makes the copy consistent.
void copy_backup_wal(const RsyncSource& source, const std::string& target,
                     const std::string& start_wal_file, Logger& log);

// The "START WAL LOCATION: ... (file X)" segment name of a backup label.
std::string start_wal_file_of(const std::string& backup_label);

}  // namespace repmgr
