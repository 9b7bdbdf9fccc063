// repmgrd's side of the guard: the heartbeat and the guard's start.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <filesystem>

#include <fmt/format.h>

#include "daemon/decide/fence_demote.hpp"
#include "daemon/guard/guard.hpp"
#include "daemon/observe/probe.hpp"

namespace repmgr::repmgrd {

std::string guard_heartbeat_path(const std::string& data_directory) {
    return data_directory + "/repmgrd_guard";
}

void GuardFeeder::feed(bool registered_primary, bool running_primary) {
    const Config& c = ctx_.config;
    if (c.guard_timeout <= 0 || c.data_directory.empty()) return;
    if (!registered_primary && !running_primary) return;
    if (running_primary && !timing_logged_) log_timing();
    std::string path = guard_heartbeat_path(c.data_directory);
    // Only a running primary creates the file; a down one keeps feeding it.
    int fd = open(path.c_str(), O_RDWR | O_CLOEXEC | (running_primary ? O_CREAT : 0), 0600);
    if (fd < 0 && !running_primary) return;
    if (fd < 0) {
        ctx_.log.warning("guard: unable to open \"{}\": {}", path, std::strerror(errno));
        return;
    }
    futimens(fd, nullptr);  // the heartbeat: mtime = now
    // The lock free means no guard holds it: start one.
    bool free = flock(fd, LOCK_EX | LOCK_NB) == 0;
    close(fd);  // releases our lock before the guard takes it
    if (free && running_primary) start_guard(c.data_directory);
}

void GuardFeeder::log_timing() {
    timing_logged_ = true;
    const Config& c = ctx_.config;
    int check = std::max(1, c.master_response_timeout);
    int acts = guard_fence_bound_seconds(c.guard_timeout, check);
    int promote = standby_promote_earliest_seconds(c.reconnect_attempts, c.reconnect_interval,
                                                   receiver_freshness_s(c));
    std::string relation = fmt::format(
        "guard: with repmgrd silent, the guard fences this primary within guard_timeout {} s + "
        "1 s poll + {} s majority check = {} s of a cut; a standby with the same settings may "
        "promote {} s after it (its reconnect attempts spent and no WAL receiver fresher than "
        "max(10 s, reconnect_attempts x reconnect_interval + master_response_timeout))",
        c.guard_timeout, check, acts, promote);
    if (acts < promote) {
        ctx_.log.notice("{}: margin {} s", relation, promote - acts);
    } else {
        ctx_.log.warning("{}: the guard may act too late", relation);
        ctx_.log.hint("lower guard_timeout, or raise reconnect_attempts x reconnect_interval on "
                      "the standbys (docs/failover.md, \"The guard\")");
    }
}

void GuardFeeder::start_guard(const std::string& data_directory) {
    std::string self;
    try {
        self = std::filesystem::read_symlink("/proc/self/exe").string();
    } catch (const std::exception& e) {
        ctx_.log.warning("guard: unable to find the repmgrd binary: {}", e.what());
        return;
    }
    std::string config = ctx_.config.source_file;
    ctx_.log.notice("starting the guard (repmgrd --guard) for data directory \"{}\"",
                    data_directory);
    pid_t child = fork();
    if (child < 0) {
        ctx_.log.warning("guard: fork failed: {}", std::strerror(errno));
        return;
    }
    if (child == 0) {
        // Its own session, reparented to init: it outlives a kill -9 of
        // repmgrd and is not stopped with it.
        setsid();
        if (fork() != 0) _exit(0);
        for (int sig = 1; sig < NSIG; ++sig) signal(sig, SIG_DFL);
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0) dup2(null, 0);
        long max_fd = sysconf(_SC_OPEN_MAX);
        for (int fd = 3; fd < (max_fd > 0 ? max_fd : 1024); ++fd) close(fd);
        execl(self.c_str(), "repmgrd", "--guard", "-f", config.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    int status = 0;
    waitpid(child, &status, 0);
}

}  // namespace repmgr::repmgrd
