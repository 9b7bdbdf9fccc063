#pragma once

#include <optional>
#include <string>
#include <vector>

#include "util/log.hpp"

namespace repmgr {

enum class DirState { Missing, Empty, NonEmpty };

// State of a would-be data directory. Throws Failure(BadConfig) when the path
// exists but is not a directory, or cannot be read.
DirState directory_state(const std::string& path);

// True while the postmaster named in `datadir`/postmaster.pid is alive.
bool postmaster_running(const std::string& datadir);
// What the data directory says about its postmaster, without asking it:
// Stopped: no postmaster.pid (a clean shutdown removes it; so does the stop of
// a restart); Running: the pid named there exists and is not a zombie (a
// frozen, SIGSTOPped postmaster is Running); Crashed: postmaster.pid is left
// behind but its process is gone (kill -9, the OOM killer) or a zombie;
// Unknown: the file cannot be read.
enum class PostmasterState { Running, Stopped, Crashed, Unknown };
PostmasterState postmaster_state(const std::string& datadir);
// Sends `signo` to that postmaster; false when none is named or it is gone. A
// stopped (SIGSTOP) server gets the signal when it runs again.
bool signal_postmaster(const std::string& datadir, int signo);

// The destination of a clone. Remembers what existed before, so that a failed
// clone removes only what it created: a directory it made (with the parents it
// made), or the contents of a directory that was empty (or that the user let us
// empty with -F). A resync in place (rsync over existing files) cannot be
// undone; it is left as is with a warning.
class CloneTarget {
public:
    CloneTarget(std::string path, Logger& log);
    ~CloneTarget();
    CloneTarget(const CloneTarget&) = delete;
    CloneTarget& operator=(const CloneTarget&) = delete;

    // Creates the directory (mode 0700, with missing parents). With
    // `empty_existing`, removes what an existing directory holds first.
    void prepare(bool empty_existing);
    // The clone succeeded: keep everything.
    void commit() { committed_ = true; }
    const std::string& path() const { return path_; }

private:
    std::string path_;
    Logger& log_;
    bool prepared_ = false;
    bool committed_ = false;
    std::optional<std::string> created_root_;  // topmost directory we created
    bool contents_are_ours_ = false;           // dir existed empty, or we emptied it
};

// Removes what an old copy of a data directory may hold that must not survive
// a resync: WAL, slots, backup and recovery markers, a stale postmaster.pid.
void remove_volatile_files(const std::string& datadir);

// Writes `content` to `path` (mode 0600), replacing it.
void write_text_file(const std::string& path, const std::string& content);

// Comments out `keys` in a postgresql.conf-style file, noting `why`; returns
// the keys that were found.
std::vector<std::string> comment_out_settings(const std::string& conf_path,
                                              const std::vector<std::string>& keys,
                                              const std::string& why);

// include / include_dir / include_if_exists lines of a configuration file.
std::vector<std::string> include_directives(const std::string& conf_path);

}  // namespace repmgr
