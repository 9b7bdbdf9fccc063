#pragma once

#include <string>

namespace repmgr::repmgrd {

// A pid file held under an exclusive flock for the life of the daemon, so a
// second repmgrd for the same file refuses to start even if a stale file from
// a crash is left behind (the kernel drops the lock when the holder dies).
class PidFile {
public:
    // Opens and locks `path`; throws Failure(ERR_BAD_PIDFILE) when another
    // process holds it or it cannot be created.
    explicit PidFile(std::string path);
    ~PidFile();
    PidFile(const PidFile&) = delete;
    PidFile& operator=(const PidFile&) = delete;

    // (Re)writes our pid: after daemonizing the pid has changed, while the lock
    // is inherited through the shared open file description.
    void write_pid();
    const std::string& path() const { return path_; }

private:
    std::string path_;
    int fd_ = -1;
};

}  // namespace repmgr::repmgrd
