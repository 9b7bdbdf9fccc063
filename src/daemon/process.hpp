#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace repmgr::repmgrd {

// Detaches from the terminal: fork, setsid, fork again (so we can never
// reacquire a controlling terminal), chdir /, stdin from /dev/null and
// stdout/stderr to `output_path` (appending) or /dev/null.
// The command the user typed returns only once the detached process has run
// `once_detached` (it writes the pid file): whoever reads the pid file after
// `repmgrd -d` returns (a test, systemd's Type=forking) reads the live
// daemon's pid, never the pid of a parent that is already gone. The original
// process exits with 0, or with the code of the Failure `once_detached`
// threw (which is also rethrown in the detached process, still on the
// terminal). Intermediate processes leave with _exit, skipping destructors.
// Throws Failure(ERR_SYS_FAILURE) when fork fails.
void daemonize(const std::string& output_path, const std::function<void()>& once_detached);

// SIGHUP, SIGTERM and SIGINT delivered through a self-pipe, so the main loop
// can sleep until the next tick *or* a signal, with no flag polling.
// (SIGPIPE keeps its default: ignoring it would leak into every child we run.)
class SignalPipe {
public:
    SignalPipe();
    ~SignalPipe();
    SignalPipe(const SignalPipe&) = delete;
    SignalPipe& operator=(const SignalPipe&) = delete;

    struct Wake {
        std::optional<int> signal;  // the first pending signal
        bool watched_ready = false; // `watch_fd` became readable (or failed)
    };
    // Waits up to `timeout` (a relative, hence monotonic, duration) for a
    // signal or, when `watch_fd` >= 0, for that descriptor to become readable.
    // Neither: the time ran out.
    Wake wait(std::chrono::milliseconds timeout, int watch_fd = -1);

private:
    int read_fd_ = -1;
    int write_fd_ = -1;
};

}  // namespace repmgr::repmgrd
