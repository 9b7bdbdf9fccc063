#include "daemon/pidfile.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "util/error.hpp"

namespace repmgr::repmgrd {
namespace {

std::string read_all(int fd) {
    std::string text;
    char buf[64];
    ssize_t n;
    lseek(fd, 0, SEEK_SET);
    while ((n = read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

}  // namespace

PidFile::PidFile(std::string path) : path_(std::move(path)) {
    fd_ = open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
        fail(ExitCode::BadPidfile, fmt::format("unable to open pid file \"{}\"", path_),
             std::strerror(errno), "check that its directory exists and is writable by this user");
    if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        std::string holder = read_all(fd_);
        close(fd_);
        fd_ = -1;
        if (err == EWOULDBLOCK)
            fail(ExitCode::BadPidfile,
                 fmt::format("another repmgrd is already running with pid file \"{}\"", path_),
                 holder.empty() ? "the file is locked by another process"
                                : fmt::format("it is locked by process {}", holder),
                 "stop the running repmgrd first (kill -TERM <pid>), or use another pid file");
        fail(ExitCode::BadPidfile, fmt::format("unable to lock pid file \"{}\"", path_),
             std::strerror(err));
    }
    write_pid();
}

PidFile::~PidFile() {
    if (fd_ < 0) return;
    // Unlink while still holding the lock so no other instance can lock the
    // old inode and then lose its file to us.
    unlink(path_.c_str());
    close(fd_);
}

void PidFile::write_pid() {
    std::string text = fmt::format("{}\n", getpid());
    if (ftruncate(fd_, 0) != 0 || pwrite(fd_, text.data(), text.size(), 0) < 0)
        fail(ExitCode::BadPidfile, fmt::format("unable to write pid file \"{}\"", path_),
             std::strerror(errno));
}

}  // namespace repmgr::repmgrd
